"""The small version of ``bench/iati_parts.py``: every part is timed on a tiny file."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

BENCH = Path(__file__).parents[3] / "bench"


def _load(name: str) -> object:
    loaded = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_each_part_of_an_import_is_timed(tmp_path: Path) -> None:
    path = tmp_path / "activities.xml"
    count = _load("iati_import").generate(path, 0.05)  # type: ignore[attr-defined]
    assert count > 3
    parts = _load("iati_parts").measure(path, 1)  # type: ignore[attr-defined]
    assert [process for process, _, _ in parts].count("worker") == 7
    assert {process for process, _, _ in parts} == {"importer", "worker"}
    assert all(math.isfinite(ms) and ms >= 0 for _, _, ms in parts)
    whole = next(ms for _, part, ms in parts if part.startswith("whole evaluation"))
    mapping = next(ms for _, part, ms in parts if part.startswith("mapping"))
    assert whole > 0 and mapping > 0
