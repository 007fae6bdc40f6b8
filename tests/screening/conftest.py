"""Fixtures for screening: the tiny list files and principals of two units."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.access import users
from tocsin.access.principal import Principal
from tocsin.store.database import Database

FIXTURES = Path(__file__).parent.parent / "fixtures" / "screening"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def principal_of(db: Database, username: str) -> Principal:
    with db.transaction() as session:
        return users.principal_for(users.get_user(session, username))


@pytest.fixture
def analyst(platform_db: Database, make_user) -> Principal:  # type: ignore[no-untyped-def]
    name, _ = make_user("analyst", unit="tntd-spmu")
    return principal_of(platform_db, name)


@pytest.fixture
def other_analyst(platform_db: Database, make_user) -> Principal:  # type: ignore[no-untyped-def]
    name, _ = make_user("analyst", unit="tntd-atu")
    return principal_of(platform_db, name)


@pytest.fixture
def viewer(platform_db: Database, make_user) -> Principal:  # type: ignore[no-untyped-def]
    name, _ = make_user("partner_viewer", unit="tntd-spmu")
    return principal_of(platform_db, name)
