"""Fixtures for the investigation views, jobs and pages: one tiny synthetic set."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tocsin.money.synthetic import SyntheticConfig, write
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.store.database import Database

#: A few thousand transactions with every laundering pattern present.
TINY = SyntheticConfig(accounts=2_500, transactions=6_000, patterns=3, seed=5)


@pytest.fixture(scope="session")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(TINY, tmp_path_factory.mktemp("investigations") / "set")


def pattern_account(set_dir: Path, pattern: str, column: str = "source") -> str:
    """An account on the ``column`` side of a payment labelled with ``pattern``."""
    table = pq.read_table(set_dir / "transactions.parquet").to_pandas()
    return str(table[table.label_pattern == pattern][column].iloc[0])


@pytest.fixture(autouse=True)
def investigations_mounted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mount the investigations area even before it is listed in ``create_app``."""
    from tocsin.web import app

    if "investigations" not in app.ROUTERS:
        monkeypatch.setattr(app, "ROUTERS", [*app.ROUTERS, "investigations"])


@pytest.fixture
def demo_set(platform_db: Database, settings: Settings) -> int:
    """The fictional demo case registered as an AMBER set of ``tntd-spmu``; its id."""
    from tocsin.money import demo

    with platform_db.transaction() as session:
        demo.load(session, settings)
    with platform_db.transaction() as session:
        found = session.scalar(select(TransactionSet.id).where(
            TransactionSet.name == demo.DEMO_NAME))
    assert found is not None
    return int(found)
