"""Transaction-level graph features for the supervised model (GFP style).

:mod:`~tocsin.money.features.base` defines every feature and holds the shared
kernel; :mod:`~tocsin.money.features.embedded` computes them from the set's
Parquet file with numpy and numba; :mod:`~tocsin.money.features.spark` with
Spark SQL and the same kernel per partition. Both give the same values (tested).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tocsin.money.features.base import DEFAULT, FeatureConfig, feature_names

if TYPE_CHECKING:
    from tocsin.money.engines.base import Engine
    from tocsin.money.features.embedded import FeatureTable

__all__ = ["DEFAULT", "FeatureConfig", "compute", "feature_names"]


def compute(engine: Engine, cfg: FeatureConfig = DEFAULT) -> FeatureTable:
    """Features of every transaction on ``engine`` (file order on the embedded engine)."""
    if engine.name == "spark":
        from tocsin.money.features import spark

        return spark.compute(engine, cfg)  # type: ignore[arg-type]
    from tocsin.money.features import embedded

    return embedded.compute(engine, cfg)  # type: ignore[arg-type]
