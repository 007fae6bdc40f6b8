"""A stack needs money through distinct routes, not one chain of accounts paid again."""

from __future__ import annotations

from pathlib import Path

from tests.money.features.conftest import Row, eur, write_set
from tocsin.money.detect import make
from tocsin.money.engines.base import run_detector
from tocsin.money.engines.embedded import EmbeddedEngine


def _stacks(tmp_path: Path, rows: list[Row]) -> list[str]:
    folder = write_set(tmp_path / "set", rows)
    engine = EmbeddedEngine(folder, threads=1)
    try:
        return [f.reason for f in run_detector(engine, make("stack"))]
    finally:
        engine.close()


def test_one_chain_paid_along_three_times_is_no_stack(tmp_path: Path) -> None:
    # O pays A, A pays B, B pays D, three times within the week: firms that trade
    rows = [eur(f"{k}{i}", 20.0 * k + 2 * i, s, d, 5_000.0)
            for k in range(3) for i, (s, d) in enumerate((("O", "A"), ("A", "B"), ("B", "D")))]
    assert _stacks(tmp_path, rows) == []


def test_two_routes_through_other_accounts_are_a_stack(tmp_path: Path) -> None:
    rows = [eur("1", 0, "O", "A", 5_000.0), eur("2", 2, "A", "B", 5_000.0),
            eur("3", 4, "B", "D", 5_000.0),
            eur("4", 1, "O", "C", 4_000.0), eur("5", 3, "C", "E", 4_000.0),
            eur("6", 5, "E", "D", 4_000.0)]
    assert _stacks(tmp_path, rows) == [
        "Money from account O reached account D along 2 paths through 4 intermediary "
        "accounts in up to 2 layers within 5.0 hours"]
