"""Rule detectors at default settings on worlds they were not tuned on: before and after ranking.

For each world (drawn from its seed with :func:`tocsin.money.worlds.draw_params`, written
as AMLworld CSV and imported through the AMLworld importer) and, if present, the AMLSim
sample, every detector runs with its defaults on the embedded engine. Reported, at
account level against the set's labels:

- *all in findings*: every account in any finding (what ``money evaluate --rules``
  counted before ranking; ``--all-findings`` still does);
- *top 2 % by rule risk*: the accounts with the highest :func:`score_accounts` risk;
- *flagged*: the accounts :func:`tocsin.money.rank.rank` flags (``money evaluate --rules``);
- with ``--model``, *flagged with the model*: the same ranking weighed by the shipped
  model's account scores (:func:`tocsin.money.rank.with_model`).

    .venv/bin/python bench/rules_cross_world.py --seeds 301 302 303 501 502 503 \\
        --amlsim /work/shared/data/amlsim/20K_fanin200
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tocsin.money import model, worlds  # noqa: E402
from tocsin.money.detect import all_detectors  # noqa: E402
from tocsin.money.engines.base import run_detectors  # noqa: E402
from tocsin.money.engines.embedded import EmbeddedEngine  # noqa: E402
from tocsin.money.evaluate import compare, evaluate_ranking, load_labels  # noqa: E402
from tocsin.money.rank import rank, with_model  # noqa: E402
from tocsin.money.score import score_accounts  # noqa: E402

#: Detectors left out (``--skip``), to compare with and without one.
SKIP: set[str] = set()


def world(root: Path, seed: int, transactions: int, spread: bool = False) -> Path:
    kind = "spread" if spread else "world"
    folder = root / f"{kind}{seed}-{transactions}"
    target = folder / "set"
    if not (target / "transactions.parquet").is_file():
        draw = worlds.draw_spread_params if spread else worlds.draw_params
        worlds.ingest_world(draw(seed, transactions=transactions), folder, f"{kind}{seed}")
    return target


def amlsim(root: Path, source: Path) -> Path:
    target = root / "amlsim" / "set"
    if not (target / "transactions.parquet").is_file():
        from tocsin.money.ingest import ingest

        ingest("amlsim", [source], target)
    return target


def judge(name: str, set_dir: Path, use_model: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    eng = EmbeddedEngine(set_dir)
    try:
        found = run_detectors(eng, [d for d in all_detectors() if d.name not in SKIP])
        detected = time.perf_counter()
        ranking = rank(eng, found)
        ranked = time.perf_counter()
        risks = score_accounts(eng, found)
    finally:
        eng.close()
    seconds = {"detect": round(detected - started, 1), "rank": round(ranked - detected, 1)}
    print(f"{name}: detectors {seconds['detect']} s, ranking {seconds['rank']} s, peak RSS "
          f"so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
          file=sys.stderr, flush=True)
    labels = load_labels(set_dir).accounts
    n = ranking.set_accounts
    involved = {a for f in found for a in f.accounts}
    top = {r.subject for r in risks[: int(0.02 * n)]}
    flagged = evaluate_ranking(set_dir, ranking)
    out: dict[str, Any] = {"set": name, "accounts": n, "laundering": len(labels),
                           "seconds": seconds}
    # What flags whom: per leading detector of a flagged account, flagged and laundering.
    lead: dict[str, list[int]] = {}
    for account in ranking.accounts:
        if account.flagged:
            leader = next(f for f in account.findings
                          if f.detector not in ranking.config.supporting)
            counts = lead.setdefault(leader.detector, [0, 0])
            counts[0] += 1
            counts[1] += account.account in labels
    out["flagged_by"] = {k: {"flagged": v[0], "laundering": v[1]} for k, v in sorted(lead.items())}
    if use_model:
        chosen = model.load_default()
        weighed = with_model(ranking, *model.account_support(chosen, set_dir), "shipped model")
        scores = evaluate_ranking(set_dir, weighed).accounts
        out["with_model"] = {"accounts": len(weighed.flagged),
                             "share": round(len(weighed.flagged) / max(1, n), 4),
                             "precision": round(scores.precision, 3),
                             "recall": round(scores.recall, 3)}
    for key, scores, count in (("all_in_findings", compare(involved, labels), len(involved)),
                               ("top2_rule_risk", compare(top, labels), len(top)),
                               ("flagged", flagged.accounts, len(ranking.flagged))):
        out[key] = {"accounts": count, "share": round(count / max(1, n), 4),
                    "precision": round(scores.precision, 3), "recall": round(scores.recall, 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[301, 302, 303])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--amlsim", type=Path, default=None)
    parser.add_argument("--root", type=Path, default=None, help="Keep the worlds here.")
    parser.add_argument("--spread", type=int, nargs="*", default=[],
                        help="Also worlds of mostly spread fan-in (worlds.draw_spread_params).")
    parser.add_argument("--model", action="store_true",
                        help="Also weigh the ranking by the shipped model's account scores.")
    parser.add_argument("--skip", nargs="*", default=[], help="Leave these detectors out.")
    args = parser.parse_args()
    SKIP.update(args.skip)
    root = args.root or Path(tempfile.mkdtemp(prefix="rules-worlds-"))
    rows = [judge(f"world {s}", world(root, s, args.transactions), args.model)
            for s in args.seeds]
    rows += [judge(f"spread world {s}", world(root, s, args.transactions, spread=True),
                   args.model) for s in args.spread]
    if args.amlsim is not None and args.amlsim.exists():
        rows.append(judge("AMLSim 20K_fanin200", amlsim(root, args.amlsim), args.model))
    print("| set | accounts | laundering | all in findings: accounts (share), precision, recall "
          "| top 2 % by rule risk: precision, recall | flagged: accounts (share), precision, "
          "recall |" + (" flagged with the model: accounts (share), precision, recall |"
                        if args.model else ""))
    print("| --- | --- | --- | --- | --- | --- |" + (" --- |" if args.model else ""))
    for r in rows:
        a, t, f = r["all_in_findings"], r["top2_rule_risk"], r["flagged"]
        m = r.get("with_model")
        extra = (f" {m['accounts']:,} ({m['share']:.2%}), {m['precision']:.3f}, "
                 f"{m['recall']:.3f} |") if m else ""
        print(f"| {r['set']} | {r['accounts']:,} | {r['laundering']:,} | {a['accounts']:,} "
              f"({a['share']:.1%}), {a['precision']:.3f}, {a['recall']:.3f} | "
              f"{t['precision']:.3f}, {t['recall']:.3f} | {f['accounts']:,} "
              f"({f['share']:.2%}), {f['precision']:.3f}, {f['recall']:.3f} |{extra}")
    for r in rows:
        print(f"{r['set']}: flagged by " + ", ".join(
            f"{k} {v['laundering']}/{v['flagged']}" for k, v in r["flagged_by"].items()))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
