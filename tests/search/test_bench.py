"""The latency benchmark: end to end on a small index, and its target on the full one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import search_latency


def test_small_benchmark_runs(tmp_path: Path) -> None:
    result = search_latency.run(records=2_000, queries=20, folder=tmp_path)
    assert result["records"] == 2_000 and result["queries"] == 20
    assert result["mean_hits"] > 0  # the queries do find readable documents
    assert result["median_ms"] > 0 and result["like_median_ms"] > 0
    assert result["api_median_ms"] > 0  # the API route answered every query with 200


def test_shortfalls_are_reported() -> None:
    good = {"api_p95_ms": 20.0, "median_ms": 5.0, "like_median_ms": 50.0, "p95_ms": 9.0,
            "like_p95_ms": 90.0, "mean_hits": 12.0}
    assert search_latency.shortfalls(good) == []
    slow = {**good, "api_p95_ms": 51.0, "p95_ms": 95.0, "mean_hits": 0.0}
    assert len(search_latency.shortfalls(slow)) == 3


@pytest.mark.slow
def test_full_benchmark_meets_its_target() -> None:
    result = search_latency.main(["--records", "100000", "--queries", "240"])
    assert result["records"] == 100_000 and result["queries"] == 240
    assert search_latency.shortfalls(result) == []
