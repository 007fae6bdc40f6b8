"""The AMLworld benchmark's code on 20,000 rows: both contenders must agree.

No timing is asserted here (a timed assertion in a unit test is not a
benchmark); ``bench/money_ingest.py`` prints the real numbers.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench_scripts import load_bench


def test_every_contender_converts_every_row(tmp_path: Path) -> None:
    bench = load_bench("money_ingest")
    runs = bench.benchmark(20_000, 2, ["tocsin", "duckdb", "polars", "pandas"], tmp_path)
    assert all(len(r) == 2 for r in runs.values())  # the same number of runs on every side
    tocsin, pandas = runs["tocsin"][0], runs["pandas"][0]
    assert all(r[0]["rows"] == 20_000 for r in runs.values())
    assert tocsin["accounts"] == pandas["accounts"] > 0
    assert abs(tocsin["amount_total"] - pandas["amount_total"]) < 1e-6 * pandas["amount_total"]
    for r in runs.values():
        assert r[0]["max_rss_mb"] > 0 and r[0]["seconds"] > 0


def test_generated_file_has_the_amlworld_header(tmp_path: Path) -> None:
    bench = load_bench("money_ingest")
    path = bench.generate_amlworld(tmp_path / "G_Trans.csv", 50)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(bench.HEADER)
    assert len(lines) == 51
