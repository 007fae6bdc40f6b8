"""Fixtures of the coherence tests: the platform with the fictional coherence demo."""

from __future__ import annotations

import pytest

from tocsin.settings import Settings
from tocsin.store.database import Database


@pytest.fixture
def demo_db(platform_db: Database, settings: Settings) -> Database:
    from tocsin.coherence import demo

    with platform_db.transaction() as session:
        demo.load(session, settings)
    return platform_db


@pytest.fixture(autouse=True)
def coherence_mounted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mount the coherence area even before ``create_app`` lists it."""
    from tocsin.web import app

    if "coherence" not in app.ROUTERS:
        monkeypatch.setattr(app, "ROUTERS", [*app.ROUTERS, "coherence"])
