"""Each feature on a tiny named set whose answer is known."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tests.money.features.conftest import eur
from tocsin.money.features import feature_names

Features = Callable[..., dict[str, dict[str, float]]]


def test_fan_out_degree_in_windows(features_of: Features) -> None:
    rows = [eur(f"f{i}", 0.2 * i, "HUB", f"B{i}", 500) for i in range(5)]
    rows.append(eur("late", 24 * 10, "HUB", "B0", 500))
    f = features_of(rows)
    assert f["f0"]["src_out_n_24h"] == 5
    assert f["f0"]["src_out_cp_24h"] == 5
    assert f["late"]["src_out_cp_24h"] == 1  # ten days later, alone in its day
    assert f["late"]["src_out_cp_720h"] == 5  # B0 again: distinct counterparties
    assert f["late"]["src_out_n_720h"] == 6
    assert f["f3"]["dst_in_cp_24h"] == 1
    assert f["f0"]["src_out_cp_all"] == 5
    assert f["f0"]["src_gs_24h"] == 0  # nothing came in


def test_fan_in_and_gather_scatter(features_of: Features) -> None:
    rows = [eur(f"in{i}", i, f"P{i}", "MID", 100) for i in range(4)]
    rows += [eur(f"out{i}", 10 + i, "MID", f"Q{i}", 95) for i in range(3)]
    f = features_of(rows)
    assert f["in0"]["dst_in_cp_24h"] == 4
    assert f["in0"]["dst_out_cp_24h"] == 3
    assert f["in0"]["dst_gs_24h"] == 3
    assert f["out2"]["src_gs_24h"] == 3


def test_forward_ratio_and_delay(features_of: Features) -> None:
    rows = [eur("in", 0, "Y", "X", 1000), eur("o1", 2, "X", "Z1", 600),
            eur("o2", 30, "X", "Z2", 300), eur("o3", 60, "X", "Z3", 50)]
    f = features_of(rows)
    assert f["in"]["dst_fwd_ratio"] == pytest.approx(0.9)
    assert f["in"]["dst_fwd_delay_h"] == pytest.approx(2)
    assert f["o1"]["src_back_ratio"] == pytest.approx(1000 / 600)
    assert f["o1"]["src_back_delay_h"] == pytest.approx(2)
    assert f["o3"]["src_back_ratio"] == 0  # 60 h after the receipt: outside 48 h
    assert f["o3"]["dst_fwd_delay_h"] == 720  # Z3 never pays: capped


def test_temporal_cycle_only_when_time_respecting(features_of: Features) -> None:
    rows = [eur("c1", 0, "P", "Q", 1000), eur("c2", 24, "Q", "R", 950),
            eur("c3", 48, "R", "P", 900),
            # the same triangle, but the closing payment comes first: no cycle
            eur("n1", 120, "U", "V", 1000), eur("n2", 24, "V", "W", 950),
            eur("n3", 72, "W", "U", 900)]
    f = features_of(rows)
    for i in ("c1", "c2", "c3"):
        assert (f[i]["cycle_n"], f[i]["cycle_len"]) == (1, 3)
    for i in ("n1", "n2", "n3"):
        assert f[i]["cycle_n"] == 0


def test_scatter_gather_intermediaries(features_of: Features) -> None:
    rows = [eur(f"s{i}", i, "O", f"M{i}", 1000) for i in range(3)]
    rows += [eur(f"g{i}", 5 + i, f"M{i}", "D", 980) for i in range(3)]
    rows.append(eur("other", 1, "O", "E", 10))
    f = features_of(rows)
    for i in range(3):
        assert f[f"s{i}"]["sg_mids"] == 3
        assert f[f"g{i}"]["sg_mids"] == 3
    assert f["other"]["sg_mids"] == 0


def test_cash_near_threshold_in_the_deposit_currency(features_of: Features) -> None:
    # CAD 9,500 is 95 % of the CAD 10,000 threshold, even if worth EUR 6,460.
    rows = [(f"d{i}", 10 * i, "CASHDESK", "H", 6_460.0, "CAD", "Cash", 9_500.0)
            for i in range(3)]
    rows.append(("jpy", 5, "CASHDESK", "J", 58.0, "JPY", "Cash", 9_500.0))
    rows.append(("wire", 6, "H", "K", 9_500.0, "EUR", "Wire", 9_500.0))
    f = features_of(rows, kinds={"CASHDESK": "cash"})
    assert [f[f"d{i}"]["near_thr"] for i in range(3)] == [1, 1, 1]
    assert f["d0"]["dst_near_thr"] == 3
    assert f["wire"]["src_near_thr"] == 3  # the holder deposited three times nearby
    assert f["jpy"]["near_thr"] == 0  # far below JPY 2,000,000
    assert f["wire"]["near_thr"] == 0  # not cash
    assert f["d0"]["cash"] == 1 and f["wire"]["cash"] == 0


def test_amount_relative_to_the_account_and_the_currency(features_of: Features) -> None:
    rows = [eur(f"p{i}", i, "A", f"S{i}", 100) for i in range(3)]
    rows.append(eur("big", 5, "A", "S9", 10_000))
    f = features_of(rows)
    median = (math.log1p(100) + math.log1p(100)) / 2
    assert f["big"]["src_amt_rel"] == pytest.approx(math.log1p(10_000) - median)
    assert f["p0"]["src_amt_rel"] == pytest.approx(0)
    assert f["big"]["amount_pct_cur"] == 1.0
    assert f["p0"]["amount_pct_cur"] == 0.0


def test_repeat_counterparties_and_regular_amounts(features_of: Features) -> None:
    rows = [eur(f"r{i}", 24 * 30 * i, "EMP", "W", 2_000) for i in range(3)]
    rows.append(eur("once", 3, "EMP", "V", 2_000))
    f = features_of(rows)
    assert f["r1"]["src_pair_n"] == 3
    assert (f["r0"]["src_pair_first"], f["r1"]["src_pair_first"]) == (1, 0)
    assert f["r2"]["src_pair_cv"] == 0
    assert math.isnan(f["once"]["src_pair_cv"])
    assert f["once"]["src_repeat_share"] == pytest.approx(3 / 4)


def test_cross_currency_and_payment_format(features_of: Features) -> None:
    rows = [("u1", 0, "K", "L", 90.0, "USD", "ACH", 100.0),
            ("u2", 1, "K", "M", 90.0, "USD", "Wire", 100.0),
            ("e1", 2, "N", "K", 100.0, "EUR", "ACH", 100.0)]
    f = features_of(rows)
    assert f["e1"]["dst_cross_cur"] == 1  # K pays in USD; this arrives in EUR
    assert f["u1"]["src_cross_cur"] == 0
    assert f["e1"]["dst_n_cur"] == 2
    assert f["u1"]["src_chan_share"] == pytest.approx(2 / 3)  # ACH out and ACH in
    assert f["u1"]["channel"] == 0  # ACH is the first known format


def test_self_transfer_has_no_side_features(features_of: Features) -> None:
    f = features_of([eur("self", 0, "A", "A", 100, "Reinvestment"), eur("x", 1, "A", "B", 5)])
    assert f["self"]["self_transfer"] == 1
    assert math.isnan(f["self"]["src_out_n_24h"])
    assert set(feature_names()) <= set(f["x"])


def test_one_off_counterparties_in_windows(features_of: Features) -> None:
    # HUB pays five accounts once each within a day, and S1 three times (a regular payee).
    rows = [eur(f"f{i}", 0.2 * i, "HUB", f"B{i}", 500) for i in range(5)]
    rows += [eur(f"r{i}", 1.0 + 24 * 7 * i, "HUB", "S1", 100) for i in range(3)]
    f = features_of(rows)
    assert f["f0"]["src_out_n_24h"] == 6  # five one-offs and the first payment to S1
    assert f["f0"]["src_out_once_24h"] == 5
    assert f["r2"]["src_out_once_24h"] == 0  # two weeks later only S1, a repeat payee
    assert f["r1"]["src_out_once_720h"] == 5
    assert f["f2"]["dst_in_once_24h"] == 1 and f["r0"]["dst_in_once_24h"] == 0
