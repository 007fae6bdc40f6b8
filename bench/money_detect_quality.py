"""Cross-world quality of the supervised model: train on some worlds, judge on others.

Every world is drawn from its own seed (its own background mix, currencies, laundering
amounts, hop delays, fan degrees, cycle lengths, payment formats), written as AMLworld
CSV and imported through the AMLworld importer. The model never sees a test world.

Next to the model, each test world gets two baselines:

- the *simple rules* an investigator would write, each with its threshold fixed in
  advance (:data:`SIMPLE_RULES`: cash just under the reporting threshold in its own
  currency, a payment above its currency's 99th percentile, a round amount, a
  pass-through within 24 hours of a receipt of similar amount, five one-off payees or
  payers within a day); the best of them on each test world is "the best single
  simple rule";
- the *oracle* single feature: every feature on its own, with the threshold that gives
  the best F1 **on the test world itself** (a choice no investigator can make, which
  favours the rules: the strict comparison).

    .venv/bin/python bench/money_detect_quality.py                    # 3 train, 1 val, 3 test
    .venv/bin/python bench/money_detect_quality.py --transactions 5000000 --train 11 \\
        --validation 12 --test 13                                     # one 5M world to another
    .venv/bin/python bench/money_detect_quality.py --ship             # also write the default model
    .venv/bin/python bench/money_detect_quality.py --shipped --test 301,302  # shipped, as is
    .venv/bin/python bench/money_detect_quality.py --shipped --model-dir new/ \
        --compare-dir old/ --test 301,302  # two models, judged world by world, interleaved
    .venv/bin/python bench/money_detect_quality.py --shipped --recut --transactions 100000 \
        --validation 108,1217,1218 --test 301   # the shipped trees, cuts chosen again
    .venv/bin/python bench/money_detect_quality.py --transactions 100000 \
        --train 101,102,2001:500000 --validation 108 --test 301 \
        --save-dir cand/                        # worlds of two sizes; keep the model aside
    .venv/bin/python bench/money_detect_quality.py --shipped --model-dir cand/ \
        --compare-dir old/ --test 301,302 --ship  # judge a kept model, then ship it
    .venv/bin/python bench/money_detect_quality.py --train 101,102 --validation 108 \
        --test 301 --train-set amlsim/set --train-share 0.8 --test-set amlsim/set
        # an imported labelled set beside the worlds: fit on its first 80 % in time,
        # judged on the rest (--train-set-weight 0.2: each of its rows counts a fifth)
    .venv/bin/python bench/money_detect_quality.py --shipped --model-dir cand/ \\
        --test-set amlsim/set --train-share 0.8   # a kept model on that set's later part

``--ship`` writes ``tocsin/money/data/model/{model.json,card.json}``: the card lists the
training worlds, the cross-world scores printed here, the limits and the version.
``--save-dir`` writes the same two files to another folder instead: a candidate, judged
later with ``--shipped --model-dir`` (and shipped from there with ``--ship``, its
training worlds taken from its own card). A training or test seed written
``seed:transactions`` has its own size (``--transactions`` or ``--test-transactions``
for the others).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tocsin.money import model, worlds  # noqa: E402


def cpu_s() -> float:
    """CPU time of this process so far (user + system, all threads)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def peak_gib() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def step(name: str, wall0: float, cpu0: float, steps: dict[str, dict[str, float]]) -> str:
    wall, cpu = time.perf_counter() - wall0, cpu_s() - cpu0
    steps[name] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                   "peak_gib": round(peak_gib(), 2)}
    return f"{wall:.1f} s, {cpu:.1f} s CPU, peak {peak_gib():.2f} GiB"


def parse_worlds(text: str, transactions: int) -> list[tuple[int, int]]:
    """Seeds and sizes from ``101,102,2001:500000``: a bare seed has ``transactions``."""
    out = []
    for item in (s for s in text.split(",") if s):
        seed, _, size = item.partition(":")
        out.append((int(seed), int(size) if size else transactions))
    return out


def make_world(root: Path, seed: int, transactions: int,
               steps: dict[str, dict[str, float]] | None = None) -> model.SetData:
    steps = {} if steps is None else steps
    folder = root / f"world{seed}-{transactions}"
    target = folder / "set"
    if not (target / "transactions.parquet").is_file():
        wall0, cpu0 = time.perf_counter(), cpu_s()
        params = worlds.draw_params(seed, transactions=transactions)
        worlds.ingest_world(params, folder, f"world{seed}")
        print(f"  world {seed} generated and imported "
              f"({step(f'world {seed}: generated', wall0, cpu0, steps)})", flush=True)
    wall0, cpu0 = time.perf_counter(), cpu_s()
    data = model.load_set(target)
    data.name = f"world {seed}"
    assert data.label is not None, f"world {seed} carries no labels"
    print(f"  {data.name}: {len(data):,} transactions, {int(data.label.sum()):,} laundering "
          f"(features {step(f'world {seed}: features', wall0, cpu0, steps)})", flush=True)
    return data


#: Rules as an investigator writes them: a name and the rows it flags. Thresholds are
#: fixed here, never tuned on a test world.
SIMPLE_RULES: dict[str, Callable[[dict[str, np.ndarray]], np.ndarray]] = {
    # a cash payment at 80-100 % of its own currency's reporting threshold
    "cash just under the reporting threshold": lambda c: c["near_thr"] >= 1,
    # percent rank of the amount among the payments in its currency
    "amount above its currency's 99th percentile": lambda c: c["amount_pct_cur"] >= 0.99,
    "round amount (multiple of 100)": lambda c: c["round_amount"] >= 1,
    # the payer received 80-125 % of this amount in the 48 h before, the last receipt
    # within 24 h
    "pass-through within 24 h of a similar receipt": lambda c: (
        (c["src_back_delay_h"] <= 24) & (c["src_back_ratio"] >= 0.8)
        & (c["src_back_ratio"] <= 1.25)),
    "payer pays 5+ one-off payees within a day": lambda c: c["src_out_once_24h"] >= 5,
    "payee hears from 5+ one-off payers within a day": lambda c: c["dst_in_once_24h"] >= 5,
}


def simple_rules(data: model.SetData) -> dict[str, float]:
    """Transaction F1 of each rule of :data:`SIMPLE_RULES` on ``data``."""
    assert data.label is not None
    y, out = data.label, {}
    for name, rule in SIMPLE_RULES.items():
        flagged = np.asarray(rule(data.features.columns), dtype=bool)
        tp = int((flagged & y).sum())
        out[name] = round(2 * tp / (int(flagged.sum()) + int(y.sum())), 4) if tp else 0.0
    return out


def best_rule(data: model.SetData, names: list[str]) -> tuple[str, float]:
    """The single feature and cut with the best transaction F1 on ``data`` itself."""
    assert data.label is not None
    best = ("", 0.0)
    for name in names:
        col = np.nan_to_num(data.features.columns[name], nan=-np.inf)
        for sign, label in ((1, ">="), (-1, "<=")):
            _, f1 = model.best_threshold(data.label, sign * col)
            if f1 > best[1]:
                best = (f"{name} {label} cut", f1)
    return best


def judge(trained: model.Model, data: model.SetData, names: list[str]) -> dict[str, Any]:
    result = model.evaluate(trained, data)
    rule, rule_f1 = best_rule(data, names)
    panel = simple_rules(data)
    simple = max(panel, key=lambda k: panel[k])
    assert result.transactions is not None and result.accounts is not None
    f1 = result.transactions.scores.f1
    return {"world": data.name, "transactions": result.transactions.to_dict(),
            "accounts": result.accounts.to_dict(), "patterns": result.patterns,
            "simple_rules": panel, "best_simple_rule": simple,
            "best_simple_rule_f1": panel[simple],
            "ratio_to_simple_rule": round(f1 / panel[simple], 2) if panel[simple] else None,
            "best_rule": rule, "best_rule_f1": round(rule_f1, 4),
            "ratio_to_rule": round(f1 / rule_f1, 2) if rule_f1 else None}


def table(rows: list[dict[str, Any]], train_names: list[str]) -> str:
    lines = ["| model | judged on | txn P | txn R | txn F1 | txn PR-AUC | acct F1 | "
             "best simple rule F1 | model / simple rule | oracle single feature F1 | "
             "model / oracle |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        t, a = r["transactions"], r["accounts"]
        who = r.get("model") or ", ".join(train_names)
        lines.append(f"| {who} | {r['world']} | {t['precision']:.3f} | "
                     f"{t['recall']:.3f} | {t['f1']:.3f} | {t['pr_auc']:.3f} | {a['f1']:.3f} | "
                     f"{r['best_simple_rule_f1']:.3f} ({r['best_simple_rule']}) | "
                     f"{r['ratio_to_simple_rule']} | {r['best_rule_f1']:.3f} "
                     f"(`{r['best_rule'].split()[0]}`) | {r['ratio_to_rule']} |")
    patterns = sorted({p for r in rows for p in r["patterns"]})
    lines += ["", "| judged on | " + " | ".join(patterns) + " |",
              "| --- |" + " --- |" * len(patterns)]
    for r in rows:
        cells = [f"{r['patterns'][p]['transactions']:.2f}" if p in r["patterns"] else "-"
                 for p in patterns]
        who = f"{r['model']}: " if r.get("model") else ""
        lines.append(f"| {who}{r['world']} (txn recall) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transactions", type=int, default=300_000, help="Per world.")
    ap.add_argument("--test-transactions", type=int, default=None,
                    help="Per test world (default: --transactions).")
    ap.add_argument("--train", default="101,102,103", help="Seeds of the training worlds; "
                    "seed:transactions gives one its own size.")
    ap.add_argument("--validation", default="104", help="Seed of the validation world "
                    "(threshold, early stopping); empty: the last fifth of the training data.")
    ap.add_argument("--test", default="201,202,203", help="Seeds of the test worlds; "
                    "seed:transactions gives one its own size.")
    ap.add_argument("--work", type=Path, default=None, help="Keep the worlds here.")
    ap.add_argument("--ship", action="store_true", help="Write the default model and card "
                    "(with --shipped --model-dir: that model, judged here).")
    ap.add_argument("--save-dir", type=Path, default=None,
                    help="Write the trained model and its card to this folder (a candidate, "
                    "not the package's default).")
    ap.add_argument("--shipped", action="store_true",
                    help="Judge the shipped default model on the test worlds (no training).")
    ap.add_argument("--rounds", type=int, default=model.ROUNDS, help="Trees at most.")
    ap.add_argument("--no-early-stop", action="store_true",
                    help="Grow all --rounds trees (no early stopping on the validation part).")
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="With --shipped: a default model's folder (model.json, card.json) "
                    "other than the package's, e.g. an earlier version.")
    ap.add_argument("--compare-dir", type=Path, default=None,
                    help="Also judge the default model in this folder (model.json, card.json) "
                    "on every test world, next to the model of this run, e.g. the version "
                    "shipped before.")
    ap.add_argument("--train-set", type=Path, action="append", default=[],
                    help="A labelled set folder (already imported, e.g. the AMLSim sample) "
                    "to fit on beside the worlds; may be repeated.")
    ap.add_argument("--train-share", type=float, default=1.0,
                    help="Fit on this first share in time of each --train-set; its later "
                    "payments are judged with --test-set on the same folder (with "
                    "--shipped: judge each --test-set on its payments after this share).")
    ap.add_argument("--train-set-weight", type=float, default=1.0,
                    help="How much each row of a --train-set counts in the fit beside a "
                    "world's (1: as much).")
    ap.add_argument("--test-set", type=Path, action="append", default=[],
                    help="A labelled set folder to judge on; a --train-set folder is judged "
                    "on the payments after its --train-share only.")
    ap.add_argument("--balance-patterns", type=float, nargs="?", const=1.0,
                    default=model.BALANCE_PATTERNS, metavar="POWER",
                    help="Reweight each fitted world's laundering rows by pattern: 1 (the "
                    "flag alone), every pattern alike; 0.5, by the square root of its rows; "
                    "0, every row alike. The world's laundering weighs as much as before.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    ap.add_argument("--rehearse", type=int, default=0,
                    help="With --grow-on-shipped: fit also on this many of the worlds the "
                    "shipped model was trained on, together weighing as much as the new data.")
    ap.add_argument("--grow-on-shipped", action="store_true",
                    help="Train as `money train` does by default: new trees grown on the "
                    "shipped model's, stopped and cut also on its validation worlds.")
    ap.add_argument("--recut", action="store_true",
                    help="With --shipped: choose the model's cuts again on the --validation "
                    "worlds by the current rule (model.recut), keeping its trees; with --ship, "
                    "write that model as the default.")
    args = ap.parse_args()
    train_worlds = parse_worlds(args.train, args.transactions)
    seeds = [s for s, _ in train_worlds]
    val = [int(s) for s in args.validation.split(",") if s]
    test_worlds = parse_worlds(args.test, args.test_transactions or args.transactions)
    tests = [s for s, _ in test_worlds]
    work = args.work or Path(tempfile.mkdtemp(prefix="tocsin-worlds-"))
    print(f"Worlds of {args.transactions:,} transactions in {work}", flush=True)
    steps: dict[str, dict[str, float]] = {}
    wall_start, cpu_start = time.perf_counter(), cpu_s()
    original_card: dict[str, Any] | None = None
    extra_sets: list[dict[str, Any]] = []  # labelled set folders fitted on (--train-set)
    held_out: dict[Path, model.SetData] = {}  # their later payments, judged (--test-set)
    if args.recut and not (args.shipped and val):
        ap.error("--recut needs --shipped and --validation worlds")
    if args.shipped:
        if args.ship and not (args.recut or args.model_dir):
            ap.error("--ship writes a newly trained model; --shipped trains none (give "
                     "--model-dir to ship a model saved with --save-dir)")
        if args.save_dir is not None:
            ap.error("--save-dir keeps a newly trained model; --shipped trains none")
        trained = model.load_default(args.model_dir)
        if args.recut or (args.ship and args.model_dir):
            original_card = model.card(args.model_dir)
        if args.recut:
            val_sets = [make_world(work, s, args.transactions, steps) for s in val]
            before = dict(trained.log_odds_cuts or {})
            trained = model.recut(trained, val_sets)
            print(f"  cuts chosen again on {', '.join(d.name for d in val_sets)}: "
                  f"{before} -> {trained.log_odds_cuts}", flush=True)
            del val_sets
        seeds = []
        if not args.recut:
            val = []
        for folder in args.test_set if args.train_share < 1 else []:
            # the later part, which a model fitted on the first share never saw
            later = split_in_time(labelled_set(folder), args.train_share)[1]
            assert later is not None
            held_out[folder] = later
    else:
        extra = []
        for folder in args.train_set:
            fit, later = split_in_time(labelled_set(folder), args.train_share)
            fit.weight = args.train_set_weight
            extra.append(fit)
            if later is not None and folder in args.test_set:
                held_out[folder] = later
        extra_sets = [{"set": d.name, "transactions": len(d),
                       "laundering": laundering(d), "weight": d.weight,
                       "labels": "from accounts" if d.labels_from_accounts else
                       "from transactions"} for d in extra]
        train_sets = [make_world(work, s, n, steps) for s, n in train_worlds] + extra + [
            make_world(work, s, args.transactions, steps) for s in val]
        base = model.load_default(args.model_dir) if args.grow_on_shipped else None
        kept = Path(tempfile.mkdtemp(prefix="card-worlds-", dir=work))
        guard = [] if base is None else model.guard_worlds(kept, base, args.model_dir)
        rehearse = [] if base is None or not args.rehearse else model.rehearsal_worlds(
            kept, base, args.rehearse, args.model_dir)
        wall0, cpu0 = time.perf_counter(), cpu_s()
        trained = model.train([], sets=train_sets, validation=max(1, len(val)),
                              rounds=args.rounds, base=base, guard=guard, rehearse=rehearse,
                              balance_patterns=args.balance_patterns,
                              early_stop=None if args.no_early_stop else model.EARLY_STOP)
        print(f"  trained ({step('training', wall0, cpu0, steps)}), "
              f"{trained.meta['iterations']} trees; {trained.meta['split']}", flush=True)
        del train_sets
    judged: list[tuple[str | None, model.Model]] = [(None, trained)]
    if args.compare_dir is not None:
        other = model.load_default(args.compare_dir)
        judged = [(label(trained, "this run"), trained), (label(other, "compared"), other)]
    rows, all_rows = [], []
    tests_to_judge = [(f"world {s}", partial(make_world, work, s, size, steps))
                      for s, size in test_worlds] + [
        (str(f), partial(held_out.pop, f) if f in held_out else partial(labelled_set, f))
        for f in args.test_set]
    for s, load in tests_to_judge:
        data = load()
        for name, m in judged:  # interleaved: every model on a world before the next world
            wall0, cpu0 = time.perf_counter(), cpu_s()
            row = judge(m, data, m.features) | ({"model": name} if name else {})
            if m is trained:
                rows.append(row)
            all_rows.append(row)
            what = f"{s} judged" + (f" ({name})" if name else "")
            print(f"  {what} ({step(what, wall0, cpu0, steps)})", flush=True)
        del data
    train_names = ([f"world {s}" for s in seeds] + [e["set"] for e in extra_sets]
                   + [f"world {s} (validation)" for s in val]
                   if not args.shipped else ["the shipped model"])
    total = step("total", wall_start, cpu_start, steps)
    print()
    print(table(all_rows, train_names))
    print(f"\nWhole run: {total}")
    summary = {"transactions_per_world": args.transactions, "train": seeds, "validation": val,
               "test": tests, "results": all_rows, "model": trained.summary(), "steps": steps}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    if args.ship or args.save_dir is not None:
        ship(trained, rows, train_worlds, val, args.transactions, original_card,
             args.save_dir, args.shipped, extra_sets)


def labelled_set(folder: Path) -> model.SetData:
    """An imported set folder with its features and labels, named after the folder."""
    data = model.load_set(folder)
    data.name = folder.parent.name if folder.name == "set" else folder.name
    if data.label is None:
        raise SystemExit(f"{folder}: the set carries no labels")
    return data


def laundering(data: model.SetData) -> int:
    assert data.label is not None, f"{data.name} carries no labels"
    return int(np.count_nonzero(data.label))


def split_in_time(data: model.SetData, share: float
                  ) -> tuple[model.SetData, model.SetData | None]:
    """The part fitted on (the first ``share`` in time) and the rest, judged; the whole
    set and ``None`` when ``share`` is 1."""
    if share >= 1:
        return data, None
    cut = np.quantile(data.t, share)
    fit, later = model.part(data, data.t < cut), model.part(data, data.t >= cut)
    fit.name = f"{data.name} (first {share:.0%} in time)"
    later.name = f"{data.name} (after its first {share:.0%} in time)"
    for part in (fit, later):
        print(f"  {part.name}: {len(part):,} transactions, "
              f"{laundering(part):,} laundering", flush=True)
    return fit, later


def label(m: model.Model, fallback: str) -> str:
    """A model's name in the tables: its version and when it was trained."""
    version, created = m.meta.get("version"), str(m.meta.get("created", ""))[:16]
    return f"{version} ({created})" if version else fallback


def ship(trained: model.Model, rows: list[dict[str, Any]], train_worlds: list[tuple[int, int]],
         val: list[int], transactions: int, original_card: dict[str, Any] | None = None,
         directory: Path | None = None, kept: bool = False,
         extra_sets: list[dict[str, Any]] | None = None) -> None:
    """Write the default model and its card (training worlds, cross-world scores, limits),
    or to ``directory`` a candidate; for a model whose cuts were chosen again
    (``--recut``) or one saved earlier (``kept``, ``--shipped --model-dir``), the training
    worlds come from the card of the model its trees are from (``original_card``)."""
    f1 = [r["transactions"]["f1"] for r in rows]
    trained_on = original_card["trained_on"] if original_card else [
        {"world_seed": s, "transactions": n,
         "generator": "tocsin.money.worlds (AMLworld CSV format)"}
        for s, n in train_worlds + [(v, transactions) for v in val]] + (extra_sets or [])
    validation = trained.meta["split"]
    if kept and original_card and not val:
        validation = original_card["validation"]
    elif original_card:
        validation += (f"; cuts chosen again on the whole of world "
                       f"{', world '.join(str(s) for s in val)} by the rule of version "
                       f"{trained.meta['version']} (model.plateau_threshold)")
    card = {
        "name": "Tocsin default money-laundering model",
        "trained_on": trained_on,
        "validation": validation,
        "validation_worlds": original_card["validation_worlds"] if (
            kept and original_card and not val) else [
                {"world_seed": s, "transactions": transactions,
                 "generator": "tocsin.money.worlds (AMLworld CSV format)"} for s in val],
        "cross_world": {"command": "bench/money_detect_quality.py " + " ".join(
            sys.argv[1:]), "results": [{k: r[k] for k in (
                "world", "transactions", "accounts", "patterns", "best_simple_rule",
                "best_simple_rule_f1", "ratio_to_simple_rule", "best_rule", "best_rule_f1",
                "ratio_to_rule")} for r in rows],
            "transaction_f1_mean": round(float(np.mean(f1)), 4)},
        "features": trained.features,
        "thresholds": {"version": model.THRESHOLD_VERSION,
                       "log_odds": trained.log_odds_cuts,
                       "probability": {"transaction": trained.threshold,
                                       "account": trained.account_threshold},
                       "flag_share": trained.flag_share},
        "limits": [
            "Trained only on generated worlds; real banking data has behaviour the "
            "generator does not know. Retrain with `tocsin money train` on labelled data "
            "of the kind you score.",
            "Amount scale, payment formats and currencies are deliberately not read, so "
            "the model carries over between data sets; a pattern that only shows in "
            "those is missed.",
            "Account scores are the highest score of an account's payments; an account "
            "with one odd payment ranks like a hub.",
            "The thresholds were chosen on generated validation worlds; the share of "
            "laundering in your data moves the best threshold.",
            "It flags at most the share of a set in thresholds.flag_share (highest scores "
            "first; the rest is ranked, not flagged). A set where more laundering than "
            "that hides among the payments has its recall capped by it.",
            "cross_world compares it with two baselines per judged world: the best of a "
            "fixed panel of simple investigator rules, and the best single feature with "
            "its cut chosen on the judged world itself (an oracle).",
        ],
    }
    target = directory or model.default_dir()
    target.mkdir(parents=True, exist_ok=True)
    path = model.save_default(trained, target, card)
    what = "Default model" if directory is None else "Model"
    print(f"\n{what} written to {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
