"""The compiled tree walk gives LightGBM's own predictions."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from tocsin.money import model, trees


def _data(seed: int, rows: int = 6_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6)).astype(np.float32)
    x[:, 2] = np.round(x[:, 2])  # many exact zeros
    x[rng.random(rows) < 0.15, 3] = np.nan  # missing values
    x[:, 4] = rng.integers(0, 4, rows)
    y = (x[:, 0] + np.nan_to_num(x[:, 3], nan=1.5) * x[:, 4] - x[:, 2] > 0.5).astype(float)
    return x, y


@pytest.mark.parametrize("tiny", [True, False])
@pytest.mark.parametrize("params", [
    {"objective": "binary"},
    {"objective": "binary", "zero_as_missing": True},
    {"objective": "binary", "sigmoid": 0.7, "use_missing": False},
    {"objective": "regression"},
])
def test_forest_equals_lightgbm(params: dict[str, Any], tiny: bool) -> None:
    x, y = _data(3)
    booster = lgb.train({**params, "num_leaves": 15, "verbose": -1, "num_threads": 1,
                         "min_data_in_leaf": 20}, lgb.Dataset(x, label=y), num_boost_round=40)
    forest = trees.parse(booster.model_to_string())
    assert forest is not None
    probe, _ = _data(4, 20_000)
    probe[:50, 1] = 0.0
    probe[50:100, 5] = np.nan
    if tiny:  # below LightGBM's zero threshold: read as zero, so the row-by-row walk
        probe[100:110, 0] = np.float32(1e-40)
    # the one-comparison walk wherever LightGBM's zero rule cannot change a side
    assert forest.plain == (not params.get("zero_as_missing"))
    assert trees._below_zero_threshold(probe) == tiny
    expected = booster.predict(probe, num_threads=1)
    for threads in (1, 2):
        got = forest.predict(probe, threads=threads)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert len(np.unique(expected)) > 50  # the trees split: not a constant


def test_one_leaf_trees_and_refusals() -> None:
    x = np.zeros((200, 3), np.float32)
    y = np.r_[np.zeros(150), np.ones(50)]
    booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(x, label=y),
                        num_boost_round=3)
    forest = trees.parse(booster.model_to_string())
    assert forest is not None
    np.testing.assert_allclose(forest.predict(x[:5]), booster.predict(x[:5]), rtol=1e-12)
    with pytest.raises(ValueError, match="feature columns"):
        forest.predict(np.zeros((2, 4), np.float32))
    multi = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                      lgb.Dataset(np.random.default_rng(1).normal(size=(300, 3)),
                                  label=np.arange(300) % 3), num_boost_round=2)
    assert trees.parse(multi.model_to_string()) is None


def test_the_shipped_model_scores_as_lightgbm() -> None:
    shipped = model.load_default()
    rng = np.random.default_rng(5)
    x = rng.lognormal(size=(5_000, len(shipped.features))).astype(np.float32)
    x[rng.random(x.shape) < 0.3] = 0.0
    x[rng.random(x.shape) < 0.05] = np.nan
    expected = shipped.booster.predict(x, num_threads=1)
    np.testing.assert_allclose(shipped.predict_matrix(x), expected, rtol=1e-12, atol=1e-15)
