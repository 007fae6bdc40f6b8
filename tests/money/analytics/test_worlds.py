"""The world generator: AMLworld CSV that the importer reads, every pattern labelled."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from tocsin.money import worlds
from tocsin.money.features.base import thresholds

LIMITS = thresholds()


@pytest.fixture(scope="module")
def world_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, worlds.World]:
    # Every pattern equally likely and enough laundering that each one occurs.
    params = worlds.draw_params(5, transactions=30_000, accounts=4_000,
                                laundering_share=0.03,
                                pattern_weights={p: 1.0 for p in worlds.PATTERNS})
    target = worlds.ingest_world(params, tmp_path_factory.mktemp("world"), "tiny")
    return target, worlds.generate(params)


def test_every_pattern_is_imported_with_its_label(world_set: tuple[Path, worlds.World]) -> None:
    target, world = world_set
    rows = duckdb.sql(
        f"SELECT label_pattern, count(*) FROM '{target}/transactions.parquet' "
        "WHERE label GROUP BY 1").fetchall()
    imported = dict(rows)
    assert imported == {k: v for k, v in world.counts.items() if v}
    assert set(imported) == set(worlds.PATTERNS)
    # fetchall: a result left half read holds the module's default connection
    [total] = duckdb.sql(f"SELECT count(*) FROM '{target}/transactions.parquet'").fetchall()
    assert total[0] == world.size


def test_same_seed_same_world_other_seed_other_parameters() -> None:
    a = worlds.draw_params(1, transactions=20_000)
    assert worlds.draw_params(1, transactions=20_000) == a
    b = worlds.draw_params(2, transactions=20_000)
    assert (a.mix, a.laundering_amount, a.hop_hours) != (b.mix, b.laundering_amount, b.hop_hours)
    wa, wa2 = worlds.generate(a), worlds.generate(a)
    assert (wa.paid == wa2.paid).all() and (wa.src == wa2.src).all()


def test_cross_currency_payments_convert_at_the_day_rate(
        world_set: tuple[Path, worlds.World]) -> None:
    _, world = world_set
    cur = world.accounts.currency
    same = cur[world.src] == cur[world.dst]
    assert (world.paid[same] == world.received[same]).all()
    if (~same).any():
        assert (world.paid[~same] != world.received[~same]).any()


def test_structuring_deposits_stay_under_the_deposit_currency_threshold(
        world_set: tuple[Path, worlds.World]) -> None:
    _, world = world_set
    code = worlds.PATTERNS.index("STRUCTURING")
    cash = (world.pattern == code) & (world.fmt == worlds.F_CASH)
    assert cash.any()
    currencies = [world.params.currencies[c] for c in world.accounts.currency[world.dst[cash]]]
    for received, iso in zip(world.received[cash].tolist(), currencies, strict=True):
        assert 0.7 * LIMITS[iso] < received < LIMITS[iso]


def test_spread_worlds_hold_regular_transfers_and_fan_ins_spread_over_days() -> None:
    plain = worlds.draw_params(9, transactions=20_000)
    assert "peers" not in plain.mix and not plain.dates_only
    p = worlds.draw_spread_params(9, transactions=20_000, dates_only=True)
    assert 0.5 <= p.mix["peers"] <= 0.8 and p.days >= 90
    assert p.pattern_weights["FAN-IN"] == max(p.pattern_weights.values())
    assert p.laundering_amount <= 0.1 * p.background_amount
    w = worlds.generate(p)
    assert (w.t % 86_400 == 0).all()  # dates only
    legit = w.pattern < 0
    _, counts = np.unique(np.stack([w.src[legit], w.dst[legit]]), axis=1,
                          return_counts=True)
    assert (counts >= 3).sum() > 500  # regular transfers repeat
    fan_in = worlds.PATTERNS.index("FAN-IN")
    spreads = [np.ptp(w.t[w.attempt == a]) for a in np.unique(w.attempt[w.pattern == fan_in])]
    assert spreads and max(spreads) > 3 * 86_400  # spread over days, not hours
