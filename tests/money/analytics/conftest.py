"""Fixtures for the money analytics tests: one small synthetic set per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.money.synthetic import SyntheticConfig, write

SMALL = SyntheticConfig(accounts=6_000, transactions=40_000, patterns=8, seed=11)


@pytest.fixture(scope="session")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(SMALL, tmp_path_factory.mktemp("synthetic") / "set")
