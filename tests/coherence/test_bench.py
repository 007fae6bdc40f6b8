"""The benchmark runs in small, without timing assertions (the numbers are in docs)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "coherence_portfolio.py"


def test_small_benchmark_runs_in_process() -> None:
    spec = importlib.util.spec_from_file_location("coherence_portfolio", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    analysis = bench.part_analysis(800)
    assert analysis["records"] > 800 and analysis["cells"] > 0
    pairs = bench.part_pairs(600)
    assert pairs["blocked_pairs_scored"] < pairs["all_pairs"]
    assert pairs["recall_vs_naive"] >= 0.95
    quality = bench.part_quality(600)
    assert quality["precision"] >= 0.85 and quality["recall"] >= 0.9
