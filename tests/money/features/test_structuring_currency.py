"""Structuring compares cash deposits with the threshold of the deposit's own currency."""

from __future__ import annotations

from pathlib import Path

from tests.money.features.conftest import write_set
from tocsin.money.detect import make
from tocsin.money.engines.base import run_detector
from tocsin.money.engines.embedded import EmbeddedEngine


def _found(folder: Path, **config: object) -> list[str]:
    engine = EmbeddedEngine(folder, threads=1)
    try:
        return [f.subject for f in run_detector(engine, make("structuring", **config))]
    finally:
        engine.close()


def test_deposits_under_their_own_currency_threshold(tmp_path: Path) -> None:
    # Three CAD 9,967.70 deposits: EUR 6,778 each after conversion, far from EUR 10,000,
    # but just under Canada's CAD 10,000. Three EUR 6,800 deposits are not structuring.
    rows = [(f"c{i}", 20.0 * i, "DESK", "CANADIAN", 6_778.0, "CAD", "Cash", 9_967.70)
            for i in range(3)]
    rows += [(f"e{i}", 20.0 * i, "DESK", "EUROPEAN", 6_800.0, "EUR", "Cash", 6_800.0)
             for i in range(3)]
    rows += [(f"w{i}", 20.0 * i, "BOSS", "WIRED", 9_500.0, "EUR", "Wire", 9_500.0)
             for i in range(3)]
    folder = write_set(tmp_path / "set", rows, {"DESK": "cash"})
    assert _found(folder) == ["CANADIAN"]
    # one threshold for every currency, still in the deposit's own currency
    assert _found(folder, threshold=7_000.0) == ["EUROPEAN"]


def _findings(folder: Path) -> list[object]:
    engine = EmbeddedEngine(folder, threads=1)
    try:
        return list(run_detector(engine, make("structuring")))
    finally:
        engine.close()


def test_deposits_in_several_currencies_are_told_apart(tmp_path: Path) -> None:
    # Two USD and one CAD deposit, each just under its own currency's threshold: one
    # finding, whose reason neither adds USD to CAD nor names the CAD deposit in USD.
    rows = [("u0", 0.0, "DESK", "MIXED", 8_600.0, "USD", "Cash", 9_800.0),
            ("u1", 2.0, "DESK", "MIXED", 8_400.0, "USD", "Cash", 9_600.0),
            ("c0", 4.0, "DESK", "MIXED", 6_700.0, "CAD", "Cash", 9_900.0)]
    folder = write_set(tmp_path / "set", rows, {"DESK": "cash"})
    [found] = _findings(folder)
    assert found.amount == 23_700.0  # the set's own amounts, as every finding's
    assert "2 between 9,600.00 and 9,800.00 USD (total 19,400.00 USD, threshold " \
        "10,000.00 USD)" in found.reason
    assert "1 between 9,900.00 and 9,900.00 CAD (total 9,900.00 CAD" in found.reason
    assert "29,300" not in found.reason


def test_one_currency_total_names_it(tmp_path: Path) -> None:
    rows = [(f"c{i}", 20.0 * i, "DESK", "CANADIAN", 6_778.0, "CAD", "Cash", 9_967.70)
            for i in range(3)]
    folder = write_set(tmp_path / "set", rows, {"DESK": "cash"})
    [found] = _findings(folder)
    assert "(total 29,903.10 CAD)" in found.reason
    assert found.amount == 20_334.0
