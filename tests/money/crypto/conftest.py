"""Fixtures of the Bitcoin tests: one Spark session for the engine comparison."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The one SparkSession of the test run (``getOrCreate``: shared with other areas)."""
    from tocsin.money.engines.spark import spark_session

    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()
