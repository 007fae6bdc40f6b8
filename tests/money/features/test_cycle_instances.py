"""One cycle finding per ring, whatever its rotation or how often money went round."""

from __future__ import annotations

from pathlib import Path

from tests.money.features.conftest import Row, eur, write_set
from tocsin.money.detect import make
from tocsin.money.detect.paths import canonical_ring
from tocsin.money.engines.base import run_detector
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding


def _cycles(tmp_path: Path, rows: list[Row]) -> list[Finding]:
    """The cycles of ``rows`` and of one payment outside any ring."""
    folder = write_set(tmp_path / "set", [*rows, eur("other", 1, "Z1", "Z2", 5_000)])
    engine = EmbeddedEngine(folder, threads=1)
    try:
        return run_detector(engine, make("cycle"))
    finally:
        engine.close()


def test_rotations_of_a_ring_are_one_ring() -> None:
    assert canonical_ring(["C", "D", "A", "B"]) == ("A", "B", "C", "D")
    assert canonical_ring(["A", "B", "C", "D"]) == ("A", "B", "C", "D")
    assert canonical_ring(["A", "C", "B"]) != canonical_ring(["A", "B", "C"])  # other way round


def test_a_ring_travelled_three_times_is_one_finding(tmp_path: Path) -> None:
    ring = ["R1", "R2", "R3", "R4", "R5"]
    rows = []
    h = 0.0
    for rnd in range(3):
        for i, a in enumerate(ring):
            rows.append(eur(f"x{rnd}{i}", h, a, ring[(i + 1) % 5], 5_000 - rnd * 10 - i))
            h += 5
    found = _cycles(tmp_path, rows)
    assert len(found) == 1
    f = found[0]
    assert f.subject == "R1" and sorted(f.accounts) == ring
    assert "time-respecting paths" in f.reason
    assert set(f.transactions) <= {r[0] for r in rows} and len(f.transactions) >= 10


def test_a_ring_is_told_from_where_the_money_left(tmp_path: Path) -> None:
    # the money leaves R3, the ring's smallest account is R1: the finding names R3 and
    # writes the ring from it, as its reason says the money left R3
    ring = ["R3", "R4", "R1", "R2"]
    rows = [eur(f"x{i}", 5.0 * i, a, ring[(i + 1) % 4], 5_000 - i) for i, a in enumerate(ring)]
    found = _cycles(tmp_path, rows)
    assert len(found) == 1
    f = found[0]
    assert f.subject == "R3" and sorted(f.accounts) == sorted(ring)
    assert "left account R3 " in f.reason
    assert f.reason.endswith("(ring R3 → R4 → R1 → R2 → R3)")
