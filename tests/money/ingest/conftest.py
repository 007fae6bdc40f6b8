"""Fixtures for the ingest tests: the tiny named files under tests/fixtures/money/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "money"
AMLSIM_SAMPLE = Path("/work/shared/data/amlsim/20K_fanin200")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def amlsim_sample() -> Path:
    if not (AMLSIM_SAMPLE / "transactions.csv").exists():
        pytest.skip("the shared AMLSim sample is not present on this machine")
    return AMLSIM_SAMPLE


@pytest.fixture
def leftovers() -> Callable[[Path], list[str]]:
    """Everything in a folder (a failed import must leave it empty)."""

    def listing(folder: Path) -> list[str]:
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    return listing
