"""Fixtures of the coherence tests: the platform with the fictional coherence demo."""

from __future__ import annotations

import pytest

from tests.conftest import prepared
from tocsin.settings import Settings
from tocsin.store.database import Database


@prepared("demo_db")
def _coherence_demo(db: Database, settings: Settings) -> None:
    from tocsin.coherence import demo

    with db.transaction() as session:
        demo.load(session, settings)


@pytest.fixture
def demo_db(platform_db: Database) -> Database:
    """The platform with the coherence demo, copied from a template loaded once per backend."""
    return platform_db


@pytest.fixture(autouse=True)
def coherence_mounted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mount the coherence area even before ``create_app`` lists it."""
    from tocsin.web import app

    if "coherence" not in app.ROUTERS:
        monkeypatch.setattr(app, "ROUTERS", [*app.ROUTERS, "coherence"])
