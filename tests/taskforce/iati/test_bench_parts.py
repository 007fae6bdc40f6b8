"""The small version of ``bench/iati_parts.py``: every part is timed on a tiny file."""

from __future__ import annotations

import math
from pathlib import Path

from tests.bench_scripts import load_bench


def test_each_part_of_an_import_is_timed(tmp_path: Path) -> None:
    path = tmp_path / "activities.xml"
    count = load_bench("iati_import").generate(path, 0.05)
    assert count > 3
    parts = load_bench("iati_parts").measure(path, 1)
    assert [process for process, _, _ in parts].count("worker") == 8
    assert {process for process, _, _ in parts} == {"importer", "worker"}
    assert all(math.isfinite(ms) and ms >= 0 for _, _, ms in parts)
    whole = next(ms for _, part, ms in parts if part.startswith("whole evaluation"))
    mapping = next(ms for _, part, ms in parts if part.startswith("mapping"))
    assert whole > 0 and mapping > 0
