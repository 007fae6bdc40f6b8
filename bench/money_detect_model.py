"""Benchmark: transaction features + scoring with the shipped model on a large world.

Part 1 (the budget): a generated world of ``--transactions`` / ``--accounts`` (default
5,000,000 / 500,000) is written as AMLworld CSV and imported; then, in a fresh child
process, Tocsin does what ``tocsin money score SET --level transaction --output FILE``
does: computes every transaction feature, scores every transaction with the default
model and streams the scores to a CSV file. Wall time per step, the CPU time of the
whole child (both cores) and peak memory (``ru_maxrss``) are printed.

Part 2 (the ratio): on a ``--sample`` world (default 200,000 transactions) the
per-account window features (payments, distinct counterparties and one-off
counterparties in and out per window, pair counts, amount against the account's
median, forward ratio) are computed by Tocsin's kernel and by a straightforward
pandas implementation of the same definitions, interleaved for ``--rounds`` rounds;
values are checked equal and the median ratio is printed.

    .venv/bin/python bench/money_detect_model.py
    .venv/bin/python bench/money_detect_model.py --transactions 1000000 --accounts 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def child(set_dir: Path, output: Path) -> None:
    """Measured in its own process: what ``tocsin money score SET --level transaction
    --output FILE`` does (features, scoring, streamed CSV), each step timed."""
    from tocsin.money import model

    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    trained = model.load_default()
    marks.append(("load model", time.perf_counter()))

    def progress(message: str) -> None:
        # "Computing features …" starts the features, "Scoring" ends them
        marks.append(("features" if message == "Scoring" else "start",
                      time.perf_counter()))

    def timed(batches):  # type: ignore[no-untyped-def]
        first = True
        for batch in batches:
            if first:
                marks.append(("scoring", time.perf_counter()))
                first = False
            yield batch

    rows = model.write_scores(timed(model.score_rows(trained, set_dir, "transaction",
                                                     "embedded", progress)), output)
    marks.append(("CSV", time.perf_counter()))
    steps: dict[str, float] = {}
    last = started
    for name, at in marks:
        if name != "start":
            steps[name] = at - last
        last = at
    total = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    flagged = sum(1 for line in output.open(encoding="utf-8") if line.rstrip().endswith("true"))
    print(json.dumps({"seconds": total, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "steps": steps, "peak_mib": peak, "rows": rows, "flagged": flagged}))


def side_input(set_dir: Path):  # type: ignore[no-untyped-def]
    """The (payment, side) rows of a set, as the embedded engine builds them."""
    import pyarrow.parquet as pq

    from tocsin.money.features.base import SideInput

    t = pq.read_table(set_dir / "transactions.parquet",
                      columns=["ts", "source", "target", "amount"]).to_pandas()
    t = t[t.source != t.target]
    codes, _ = pd.factorize(pd.concat([t.source, t.target]), sort=True)
    n = len(t)
    src, dst = codes[:n], codes[n:]
    secs = t.ts.astype("int64").to_numpy() // 1_000_000
    m = n
    zeros = np.zeros(2 * m, np.int64)
    return SideInput(account=np.concatenate([src, dst]), cp=np.concatenate([dst, src]),
                     dir=np.concatenate([np.ones(m, np.int64), np.zeros(m, np.int64)]),
                     t=np.concatenate([secs, secs]),
                     amount=np.concatenate([t.amount.to_numpy(), t.amount.to_numpy()]),
                     currency=zeros, channel=zeros, cash=zeros.astype(bool),
                     near=zeros.astype(bool))


def pandas_features(x, windows: tuple[int, ...], forward_hours: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """The same definitions, written plainly with pandas and numpy: one sorted frame per
    direction, window bounds by binary search on (account, time) keys, cumulative sums
    for counts and amounts, a Python set per row for distinct counterparties."""
    df = pd.DataFrame({"account": x.account, "cp": x.cp, "dir": x.dir, "t": x.t,
                       "amount": x.amount})
    df["pair_n"] = df.groupby(["account", "dir", "cp"])["t"].transform("size")
    df["log"] = np.log1p(df["amount"].clip(lower=0))
    df["amt_rel"] = df["log"] - df.groupby(["account", "dir"])["log"].transform("median")
    span = int(df["t"].max() - df["t"].min() + 1)
    t0 = int(df["t"].min())
    key = df["account"].to_numpy() * span + (df["t"].to_numpy() - t0)
    base = df["account"].to_numpy() * span
    rel = df["t"].to_numpy() - t0
    out: dict[str, np.ndarray] = {}
    for direction, label in ((0, "in"), (1, "out")):
        sub = df[df["dir"] == direction].assign(key=key[df["dir"].to_numpy() == direction])
        sub = sub.sort_values("key", kind="stable")
        skey, scp = sub["key"].to_numpy(), sub["cp"].to_numpy()
        once_cum = np.r_[0, np.cumsum((sub["pair_n"] == 1).to_numpy())]
        amt_cum = np.r_[0.0, np.cumsum(sub["amount"].to_numpy())]
        for w in windows:
            lo = np.searchsorted(skey, base + np.maximum(rel - w * 3600, 0), "left")
            hi = np.searchsorted(skey, base + np.minimum(rel + w * 3600, span - 1), "right")
            out[f"{label}_n_{w}h"] = (hi - lo).astype(np.float64)
            out[f"{label}_once_{w}h"] = (once_cum[hi] - once_cum[lo]).astype(np.float64)
            out[f"{label}_cp_{w}h"] = np.array([len(set(scp[a:b].tolist())) for a, b in
                                               zip(lo, hi, strict=True)], dtype=np.float64)
        if direction == 1:
            lo = np.searchsorted(skey, key, "left")
            hi = np.searchsorted(skey, base + np.minimum(rel + forward_hours * 3600, span - 1),
                                 "right")
            sums = amt_cum[hi] - amt_cum[lo]
            amount = df["amount"].to_numpy()
            out["fwd_ratio"] = np.minimum(np.divide(sums, amount, out=np.zeros(len(df)),
                                                    where=amount > 0), 5.0)
    out["pair_n"] = df["pair_n"].to_numpy(np.float64)
    out["amt_rel"] = df["amt_rel"].to_numpy()
    return out


def side_input_tiny(x):  # type: ignore[no-untyped-def]
    from tocsin.money.features.base import SideInput

    return SideInput(**{k: getattr(x, k)[:100] for k in ("account", "cp", "dir", "t", "amount",
                                                          "currency", "channel", "cash",
                                                          "near")})


def ratio(sample_dir: Path, rounds: int) -> None:
    from tocsin.money.features.base import DEFAULT, side_features

    x = side_input(sample_dir)
    names = ["fwd_ratio", "pair_n", "amt_rel"] + [
        f"{d}_{k}_{w}h" for w in DEFAULT.windows_hours for d in ("in", "out")
        for k in ("n", "cp", "once")]
    side_features(side_input_tiny(x), DEFAULT)  # compile the kernels before timing
    ratios = []
    for r in range(rounds):
        t = time.perf_counter()
        ours = side_features(x, DEFAULT)
        a = time.perf_counter() - t
        t = time.perf_counter()
        theirs = pandas_features(x, DEFAULT.windows_hours, DEFAULT.forward_hours)
        b = time.perf_counter() - t
        for name in names:
            assert np.allclose(ours[name], theirs[name], equal_nan=True), name
        ratios.append(b / a)
        print(f"  round {r + 1}: Tocsin kernel {a:.2f} s (all {len(ours)} side features), "
              f"pandas {b:.2f} s ({len(names)} of them) -> {b / a:.1f}x", flush=True)
    print(f"Side rows: {len(x.t):,}; values equal on {len(names)} features; "
          f"median ratio pandas / Tocsin: {statistics.median(ratios):.1f}x")


def world(root: Path, seed: int, transactions: int, accounts: int) -> Path:
    from tocsin.money import worlds

    target = root / f"world{seed}-{transactions}"
    if not (target / "set" / "transactions.parquet").is_file():
        t = time.perf_counter()
        worlds.ingest_world(worlds.draw_params(seed, transactions=transactions,
                                               accounts=accounts), target, f"world{seed}")
        print(f"  generated and imported {transactions:,} rows in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
    return target / "set"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transactions", type=int, default=5_000_000)
    ap.add_argument("--accounts", type=int, default=500_000)
    ap.add_argument("--sample", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None, help="Keep the worlds here.")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-ratio", action="store_true", help="Only the large world.")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--output", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.output)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="tocsin-bench-"))
    if not args.skip_large:
        print(f"Features + scoring, {args.transactions:,} transactions / {args.accounts:,} "
              "accounts:", flush=True)
        big = world(work, 7, args.transactions, args.accounts)
        done = subprocess.run([sys.executable, __file__, "--child", str(big), "--output",
                               str(work / "scores.csv")], capture_output=True, text=True,
                              check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result["steps"].items())
        print(f"  {result['seconds']:.1f} s ({steps}; CPU time {result['cpu_seconds']:.1f} s "
              f"on 2 cores), peak {result['peak_mib'] / 1024:.2f} GiB, "
              f"{result['rows']:,} rows scored, {result['flagged']:,} flagged", flush=True)
    if args.skip_ratio:
        return
    print(f"Kernel against pandas on a {args.sample:,}-transaction world:", flush=True)
    ratio(world(work, 8, args.sample, max(2_000, args.sample // 10)), args.rounds)


if __name__ == "__main__":
    main()
