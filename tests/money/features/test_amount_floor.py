"""Path detectors search from an amount relative to the set, never above their floor."""

from __future__ import annotations

from pathlib import Path

from tests.money.features.conftest import Row, eur, write_set
from tocsin.money.detect import make
from tocsin.money.detect.base import amount_floor
from tocsin.money.engines.base import run_detector
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.rank import detect


def _ring(amount: float) -> list[Row]:
    """A ring R1 → R2 → R3 → R4 → R1, each hop five hours after the last."""
    ring = ["R1", "R2", "R3", "R4"]
    return [eur(f"r{i}", 5.0 * i, a, ring[(i + 1) % 4], amount * 0.98 ** i)
            for i, a in enumerate(ring)]


def _everyday(amount: float) -> list[Row]:
    return [eur(f"e{i}", 1.0 + i, f"P{i}", f"Q{i}", amount) for i in range(8)]


def test_the_floor_is_the_sets_median_payment_between_accounts(tmp_path: Path) -> None:
    rows = [*_everyday(100.0), eur("x1", 1, "P1", "Q2", 300.0), eur("x2", 2, "P2", "Q3", 500.0),
            # neither a payment to oneself nor one to a shop counts
            eur("self", 3, "P3", "P3", 9_000.0), eur("shop", 4, "P4", "SHOP", 9_000.0)]
    folder = write_set(tmp_path / "set", rows, {"SHOP": "merchant"})
    engine = EmbeddedEngine(folder, threads=1)
    try:
        # ten payments between accounts: 100 eight times, 300, 500; an amount of the set
        assert amount_floor(engine, 0.5, ("merchant", "cash")) == 100.0
        assert amount_floor(engine, 0.95, ("merchant", "cash")) == 300.0
        assert amount_floor(engine, 0.5, ("merchant", "cash", "domestic")) is None
    finally:
        engine.close()


def test_a_ring_of_small_payments_is_found_where_the_fixed_floor_missed_it(
        tmp_path: Path) -> None:
    # AMLSim's scale: payments of tens and hundreds, a ring of 300
    folder = write_set(tmp_path / "set", [*_ring(300.0), *_everyday(120.0)])
    engine = EmbeddedEngine(folder, threads=1)
    try:
        found = run_detector(engine, make("cycle"))
        assert [f.subject for f in found] == ["R1"]
        # a ring of the set's everyday size ranks at half its score (below the flag line)
        assert found[0].score == 0.5 * run_detector(engine, make(
            "cycle", min_amount=280.0))[0].score
        assert "everyday size (down to below 1,000" in found[0].reason
        assert "score is halved" in found[0].reason
        assert not run_detector(engine, make("cycle", amount_quantile=None))
        bound = make("cycle").bind(engine)
        assert bound.config.search_from == 120.0 and bound.config.min_amount == 1_000.0
        assert bound.bind(engine) is bound
        # the run keeps the amount it searched from
        _, configs = detect(engine, [make("cycle"), make("scatter_gather")])
        assert configs["cycle"]["search_from"] == 120.0
        assert configs["cycle"]["amount_quantile"] == 0.5
        # scatter-gather searches from its fixed floor unless told otherwise
        assert configs["scatter_gather"]["search_from"] is None
        assert make("scatter_gather", amount_quantile=0.5).bind(engine).floor == 120.0
        assert make("scatter_gather").bind(engine).floor == 1_000.0
    finally:
        engine.close()


def test_a_set_of_large_payments_keeps_the_floor(tmp_path: Path) -> None:
    folder = write_set(tmp_path / "set", [*_ring(5_000.0), *_everyday(4_000.0)])
    engine = EmbeddedEngine(folder, threads=1)
    try:
        assert make("cycle").bind(engine).config.search_from == 1_000.0
        assert make("bipartite", amount_quantile=0.5).bind(engine).config.search_from == 500.0
        found = run_detector(engine, make("cycle"))
        assert [f.subject for f in found] == ["R1"] and "halved" not in found[0].reason
    finally:
        engine.close()
