"""Fixtures of the report tests: the coherence demo at a fixed date."""

from __future__ import annotations

from datetime import date

import pytest

from tocsin.settings import Settings
from tocsin.store.database import Database

TODAY = date(2026, 6, 1)


@pytest.fixture
def report_db(platform_db: Database, settings: Settings) -> Database:
    from tocsin.coherence import demo

    with platform_db.transaction() as session:
        demo.load(session, settings, today=TODAY)
    return platform_db
