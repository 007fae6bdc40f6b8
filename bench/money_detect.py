"""Benchmark: every detector on a large synthetic set, and against networkx.

Runs Tocsin's embedded engine over ``--transactions`` / ``--accounts`` (default
5,000,000 / 500,000) in a subprocess and reports wall time and peak memory
(``ru_maxrss``). In the same run, a straightforward networkx implementation of
the same detectors (``bench/baselines/networkx_detectors.py``) and Tocsin both
process a ``--baseline-transactions`` sample, and the speed-up is printed.

    .venv/bin/python bench/money_detect.py
    .venv/bin/python bench/money_detect.py --transactions 200000 --accounts 20000

The speed of these shared machines drifts by a factor of two within minutes,
so the sample is measured in ``--rounds`` paired rounds (default 5): in each,
Tocsin runs twice in a fresh child process (the faster run counts, so neither
side is charged for first-use costs the other escapes) and then the baseline
runs once in this process. The ratio reported is the median of the rounds'
ratios; each round's times are printed too. Every Tocsin run opens the set
afresh, so loading it is always counted.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _patterns(transactions: int) -> int:
    return max(2, min(200, transactions // 25_000))


def child(set_dir: Path, runs: int) -> None:
    """Measured in its own process: load the set and run every detector ``runs`` times."""
    from tocsin.money.detect import all_detectors
    from tocsin.money.engines.base import run_detectors
    from tocsin.money.engines.embedded import EmbeddedEngine

    seconds = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        engine = EmbeddedEngine(set_dir)
        found = run_detectors(engine, all_detectors())
        seconds = min(seconds, time.perf_counter() - started)
        engine.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    flagged: dict[str, list[str]] = {}
    for f in found:
        flagged.setdefault(f.detector, []).extend(f.accounts)
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "findings": len(found),
                      "flagged": {k: sorted(set(v)) for k, v in flagged.items()}}))


def measure(set_dir: Path, runs: int = 1) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", str(set_dir), "--runs",
                          str(runs)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline(set_dir: Path) -> tuple[float, dict[str, set[str]]]:
    from baselines import networkx_detectors as nxd

    started = time.perf_counter()
    graph = nxd.load(set_dir)
    flagged = nxd.run_all(graph)
    return time.perf_counter() - started, flagged


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--accounts", type=int, default=500_000)
    parser.add_argument("--baseline-transactions", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5,
                        help="Paired rounds on the sample; the median ratio counts.")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.runs)
        return {}

    from tocsin.money.synthetic import SyntheticConfig, write

    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        big_cfg = SyntheticConfig(accounts=args.accounts, transactions=args.transactions,
                                  patterns=_patterns(args.transactions), seed=args.seed)
        started = time.perf_counter()
        big = write(big_cfg, Path(tmp) / "big")
        generated = time.perf_counter() - started
        contender = measure(big)

        n = min(args.baseline_transactions, args.transactions)
        sample_cfg = SyntheticConfig(accounts=max(2_500, n // 10), transactions=n,
                                     patterns=_patterns(n), seed=args.seed)
        sample = write(sample_cfg, Path(tmp) / "sample")
        # Paired rounds: both sides of a round see the machine in the same state.
        rounds = []
        for _ in range(args.rounds):
            ours = measure(sample, 2)
            nx_seconds, nx_flagged = baseline(sample)
            rounds.append((float(ours["seconds"]), nx_seconds))  # type: ignore[arg-type]
    ratios = sorted(theirs / mine for mine, theirs in rounds)
    speedup = statistics.median(ratios)

    ours_flagged = {k: set(v) for k, v in ours["flagged"].items()}  # type: ignore[attr-defined]
    agreement = {}
    for name, theirs in nx_flagged.items():
        mine = ours_flagged.get(name, set())
        union = mine | theirs
        agreement[name] = round(len(mine & theirs) / len(union), 3) if union else 1.0
    result = {
        "transactions": args.transactions,
        "accounts": args.accounts,
        "generate_seconds": round(generated, 2),
        "detect_seconds": round(float(contender["seconds"]), 2),  # type: ignore[arg-type]
        "detect_peak_mib": round(float(contender["peak_mib"]), 1),  # type: ignore[arg-type]
        "findings": contender["findings"],
        "sample_transactions": n,
        "sample_rounds": [{"tocsin": round(m, 3), "networkx": round(t, 3)} for m, t in rounds],
        "speedup": round(speedup, 1),
        "speedup_range": [round(ratios[0], 1), round(ratios[-1], 1)],
        "flagged_account_agreement": agreement,
    }
    print(f"All detectors, {args.transactions:,} transactions / {args.accounts:,} accounts: "
          f"{result['detect_seconds']} s, peak {result['detect_peak_mib']} MiB "
          f"({result['findings']} findings; generating the set took {generated:.1f} s)")
    print(f"Sample of {n:,} transactions, {args.rounds} paired rounds (Tocsin s / networkx s): "
          + ", ".join(f"{m:.3f} / {t:.2f}" for m, t in rounds)
          + f" -> median speed-up {result['speedup']}x "
          f"(range {result['speedup_range'][0]}-{result['speedup_range'][1]}x)")
    print("Jaccard agreement of flagged accounts (Tocsin vs networkx): "
          + ", ".join(f"{k} {v}" for k, v in agreement.items()))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
