"""The transaction features are the same on Spark and on the embedded engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tocsin.money import worlds
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.features import compute, feature_names


@pytest.mark.spark
def test_spark_features_equal_embedded(spark: Any, tmp_path: Path) -> None:
    from tocsin.money.engines.spark import SparkEngine

    params = worlds.draw_params(9, transactions=6_000, accounts=1_200, laundering_share=0.03,
                                pattern_weights={p: 1.0 for p in worlds.PATTERNS})
    set_dir = worlds.ingest_world(params, tmp_path, "tiny")
    embedded = EmbeddedEngine(set_dir)
    try:
        ours = compute(embedded)
    finally:
        embedded.close()
    engine = SparkEngine(set_dir, spark=spark, partitions=2)
    try:
        theirs = compute(engine)
    finally:
        engine.close()
    order = np.argsort(np.asarray(ours.txn_id.to_pylist(), dtype=object))
    assert np.asarray(ours.txn_id.to_pylist(), dtype=object)[order].tolist() == \
        theirs.txn_id.to_pylist()
    assert (ours.columns["cycle_n"] > 0).any() and (ours.columns["sg_mids"] > 0).any()
    for name in feature_names():
        a, b = ours.columns[name][order], theirs.columns[name]
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), name
