"""The benchmark runs in small, without timing assertions (the numbers are in docs)."""

from __future__ import annotations

from tests.bench_scripts import load_bench


def test_small_benchmark_runs_in_process() -> None:
    bench = load_bench("coherence_portfolio")
    analysis = bench.part_analysis(800)
    assert analysis["records"] > 800 and analysis["cells"] > 0
    pairs = bench.part_pairs(600)
    assert pairs["blocked_pairs_scored"] < pairs["all_pairs"]
    assert pairs["recall_vs_naive"] >= 0.95
    quality = bench.part_quality(600)
    assert quality["precision"] >= 0.85 and quality["recall"] >= 0.9
