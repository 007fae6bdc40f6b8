"""The latency benchmark runs end to end on a small index (no timing assertions)."""

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


@pytest.mark.slow
def test_full_benchmark() -> None:
    search_latency.main(["--records", "100000", "--queries", "240"])
