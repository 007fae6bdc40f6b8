"""Fixtures for the investigation views, jobs and pages: one tiny synthetic set."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tocsin.money.synthetic import SyntheticConfig, write

#: A few thousand transactions with every laundering pattern present.
TINY = SyntheticConfig(accounts=2_500, transactions=6_000, patterns=3, seed=5)


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(TINY, tmp_path_factory.mktemp("investigations") / "set")


def pattern_account(set_dir: Path, pattern: str, column: str = "source") -> str:
    """An account on the ``column`` side of a payment labelled with ``pattern``."""
    table = pq.read_table(set_dir / "transactions.parquet").to_pandas()
    return str(table[table.label_pattern == pattern][column].iloc[0])
