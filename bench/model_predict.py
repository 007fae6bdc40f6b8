"""Benchmark: scoring transactions with the shipped model, Tocsin's tree walk against
LightGBM's own ``predict``.

The features of a generated world (``--transactions`` rows; default 1,000,000) are
computed once and kept as the float32 matrix the model reads. Then, each in a process
of its own (so that its peak resident memory is its own) and interleaved ``--repeat``
times, the same rows are scored with the shipped model by:

* ``lightgbm``: ``Booster.predict(x, raw_score=True, num_threads=2)``, the library's
  own C++ walk (the baseline);
* ``rows``: Tocsin's walk row by row (:func:`tocsin.money.trees._walk`, the only walk
  before 6 December 2026, still used where LightGBM's zero rule could change a side);
* ``plain``: Tocsin's walk as scoring runs it now, tree by tree over blocks of rows with
  one comparison per node (:func:`tocsin.money.trees._walk_plain`).

Tocsin's walks use two threads, as ``tocsin money score`` does. Each run checks its
scores against LightGBM's (the same log-odds to 1e-9). Prints the median time,
rows per second, the CPU time and the peak memory of each, and the ratios.

    .venv/bin/python bench/model_predict.py --transactions 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SIDES = ("lightgbm", "rows", "plain")


def _measure(side: str, matrix: Path) -> dict[str, float]:
    """In its own process: score the matrix one way; time, CPU and peak memory."""
    from tocsin.money import model, trees

    shipped = model.load_default()
    x = np.load(matrix)
    forest = trees.parse(shipped.booster_text)
    # the plain walk is the one timed only where LightGBM's zero rule cannot change a side
    assert forest is not None and forest.plain and not trees._below_zero_threshold(x)
    if side == "lightgbm":
        booster = shipped.booster

        def run(rows: np.ndarray) -> np.ndarray:
            return np.asarray(booster.predict(rows, raw_score=True, num_threads=2))
    else:
        walk = forest if side == "plain" else dataclasses.replace(forest, plain=False)

        def run(rows: np.ndarray) -> np.ndarray:
            return walk.predict(rows, threads=2, raw=True)
    run(x[:2_000])  # numba's compiled walks loaded from its cache, LightGBM's model parsed
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    scores = run(x)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    # the same scores whoever walks the trees (LightGBM's own on a sample)
    check = np.asarray(shipped.booster.predict(x[::97], raw_score=True, num_threads=2))
    if not np.allclose(scores[::97], check, rtol=0, atol=1e-9):
        raise SystemExit(f"{side}: scores differ from LightGBM's")
    return {"seconds": seconds, "rows": len(x),
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_mib": _peak_kib() / 1024}


def _peak_kib() -> int:
    """This process's peak resident memory since its program started: ``VmHWM`` (a new
    program starts its own), not ``ru_maxrss``, which keeps the peak of the process that
    ran this one (the parent that computed the features)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))


def _matrix(work: Path, transactions: int) -> Path:
    """The shipped model's feature matrix of a generated world (kept in ``work``)."""
    from tocsin.money import model, worlds

    path = work / f"matrix-{transactions}.npy"
    if path.is_file():
        return path
    set_dir = work / f"world-{transactions}"
    if not (set_dir / "set" / "transactions.parquet").is_file():
        worlds.ingest_world(worlds.draw_params(17, transactions=transactions,
                                               accounts=max(1_000, transactions // 10)),
                            set_dir, "world17")
    shipped = model.load_default()
    feats, _ = model.features_of(set_dir / "set", "embedded", shipped.config())
    np.save(path, feats.matrix(shipped.features))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transactions", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None, help="Keep the world and matrix here.")
    ap.add_argument("--measure", choices=SIDES, help=argparse.SUPPRESS)
    ap.add_argument("--matrix", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.matrix)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="tocsin-predict-"))
    matrix = _matrix(work, args.transactions)
    rows, columns = np.load(matrix, mmap_mode="r").shape
    print(f"{rows:,} transactions x {columns} features; load average before: "
          "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    for _ in range(args.repeat):
        for side in SIDES:  # interleaved: drift on a shared machine hits all alike
            out = subprocess.run([sys.executable, __file__, "--measure", side, "--matrix",
                                  str(matrix)], check=True, capture_output=True, text=True,
                                 env=env)
            runs[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
    medians = {side: statistics.median(r["seconds"] for r in runs[side]) for side in SIDES}
    for side in SIDES:
        cpu = statistics.median(r["cpu"] for r in runs[side])
        peak = max(r["peak_mib"] for r in runs[side])
        print(f"{side:9} median {medians[side]:.2f} s ({rows / medians[side]:,.0f} rows/s), "
              f"CPU {cpu:.2f} s, peak {peak:,.0f} MiB; runs "
              + ", ".join(f"{r['seconds']:.2f}" for r in runs[side]), flush=True)
    print(f"plain walk: {medians['lightgbm'] / medians['plain']:.2f}x LightGBM's predict, "
          f"{medians['rows'] / medians['plain']:.2f}x the row-by-row walk")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
