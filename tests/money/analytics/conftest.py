"""Fixtures for the money analytics tests: small synthetic sets, AMLSim, one Spark session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tocsin.money.synthetic import SyntheticConfig, write

AMLSIM = Path("/work/shared/data/amlsim/20K_fanin200")
SMALL = SyntheticConfig(accounts=6_000, transactions=40_000, patterns=8, seed=11)
#: Small enough for Spark in local mode, with every pattern present.
TINY = SyntheticConfig(accounts=2_500, transactions=8_000, patterns=3, seed=3,
                       pattern_counts={"SPLIT-PAYMENTS": 3})


@pytest.fixture(scope="session")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(SMALL, tmp_path_factory.mktemp("synthetic") / "set")


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(TINY, tmp_path_factory.mktemp("tiny") / "set")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The one SparkSession of the test run (starting Spark is the expensive part)."""
    from tocsin.money.engines.spark import spark_session

    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def amlsim_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AMLSim sample imported once (skipped where the sample is not present)."""
    if not AMLSIM.exists():
        pytest.skip("AMLSim sample not present")
    from tocsin.money.ingest import ingest

    target = tmp_path_factory.mktemp("amlsim") / "set"
    ingest("amlsim", [AMLSIM], target)
    return target


@pytest.fixture(scope="session")
def amlsim_findings(amlsim_set: Path) -> list[Any]:
    """Every detector's findings on the AMLSim sample (embedded engine), once."""
    from tocsin.money.detect import all_detectors
    from tocsin.money.engines.base import run_detectors
    from tocsin.money.engines.embedded import EmbeddedEngine

    eng = EmbeddedEngine(amlsim_set)
    try:
        return run_detectors(eng, all_detectors())
    finally:
        eng.close()
