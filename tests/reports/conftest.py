"""Fixtures of the report tests: the coherence demo at a fixed date."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import prepared
from tocsin.settings import Settings
from tocsin.store.database import Database

TODAY = date(2026, 6, 1)


@prepared("report_db")
def _coherence_demo_on_the_day(db: Database, settings: Settings) -> None:
    from tocsin.coherence import demo

    with db.transaction() as session:
        demo.load(session, settings, today=TODAY)


@pytest.fixture
def report_db(platform_db: Database) -> Database:
    """The coherence demo as of ``TODAY``, copied from a template loaded once per backend."""
    return platform_db
