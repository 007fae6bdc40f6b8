"""The simple-rule panel of bench/money_detect_quality.py, on rows with known answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tests.bench_scripts import load_bench
from tocsin.money import model
from tocsin.money.features.embedded import FeatureTable


@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    return load_bench("money_detect_quality")


def test_each_simple_rule_flags_what_it_says(bench) -> None:  # type: ignore[no-untyped-def]
    # Six payments, the first three laundering:
    # 0 cash at 80-100 % of its threshold; 1 a pass-through (received 110 % of it 3 h
    # before); 2 a round amount in the top 1 % of its currency; 3 a round amount;
    # 4 a pass-through, but 30 h after the receipt; 5 paid by a payer with 6 one-off
    # payees that day.
    cols = {
        "near_thr": [1, 0, 0, 0, 0, 0],
        "amount_pct_cur": [0.5, 0.2, 0.995, 0.9, 0.1, 0.3],
        "round_amount": [0, 0, 1, 1, 0, 0],
        "src_back_delay_h": [720, 3, 720, 720, 30, 720],
        "src_back_ratio": [0, 1.1, 0, 0, 1.0, 0],
        "src_out_once_24h": [0, 1, 0, 0, 0, 6],
        "dst_in_once_24h": [0, 0, 0, 0, 0, 0],
    }
    feats = FeatureTable(pa.array([str(i) for i in range(6)]),
                         {k: np.asarray(v, np.float32) for k, v in cols.items()})
    n = 6
    data = model.SetData("tiny", feats, np.arange(n).astype(object), np.zeros(n, np.int64),
                         np.ones(n, np.int64), np.array(["a", "b"], object),
                         np.array([1, 1, 1, 0, 0, 0], bool), np.full(n, None, object),
                         np.zeros(n, np.int64))
    f1 = bench.simple_rules(data)
    assert f1 == {
        "cash just under the reporting threshold": pytest.approx(2 * 1 / (1 + 3), abs=1e-4),
        "amount above its currency's 99th percentile": pytest.approx(0.5, abs=1e-4),
        # rows 2 and 3: one hit of two flagged, three laundering
        "round amount (multiple of 100)": pytest.approx(2 * 1 / (2 + 3), abs=1e-4),
        # row 1 only: row 4's receipt is 30 h old
        "pass-through within 24 h of a similar receipt": pytest.approx(0.5, abs=1e-4),
        "payer pays 5+ one-off payees within a day": 0.0,
        "payee hears from 5+ one-off payers within a day": 0.0,
    }
