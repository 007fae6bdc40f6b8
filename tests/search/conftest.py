"""Helpers for the search tests: activities and commitments written through the ORM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import tocsin.search  # noqa: F401  (installs the index hooks)
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import Unit
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import (
    Activity,
    ActivityCountry,
    ActivityCrimeArea,
    ActivityStage,
)


def unit_id(session: Session, code: str) -> int:
    found = session.scalar(select(Unit.id).where(Unit.code == code))
    assert found is not None, f"unit {code} missing"
    return found


def principal(session: Session, role: str, unit: str | None) -> Principal:
    return Principal(user_id=None, username=f"{role}-{unit}", role=Role.parse(role),
                     unit_id=unit_id(session, unit) if unit else None)


def add_activity(session: Session, title: str, *, handling: str = "GREEN",
                 unit: str = "tntd-spmu", description: str = "",
                 crime_areas: tuple[str, ...] = (), stages: tuple[str, ...] = (),
                 countries: tuple[str, ...] = (), structure: str | None = None,
                 identifier: str | None = None, **extra: Any) -> Activity:
    activity = Activity(
        identifier=identifier or f"XM-TEST-{abs(hash(title)) % 10**9}",
        level="activity", title=title, description=description, handling=handling,
        owner_unit_id=unit_id(session, unit), reporting_org_ref="XM-TEST",
        implementing_structure=structure, **extra,
    )
    activity.crime_areas = [ActivityCrimeArea(crime_area_code=c, position=i)
                            for i, c in enumerate(crime_areas)]
    activity.stages = [ActivityStage(stage_code=s, position=i) for i, s in enumerate(stages)]
    activity.countries = [ActivityCountry(country_code=c, position=i)
                          for i, c in enumerate(countries)]
    session.add(activity)
    session.flush()
    return activity


@pytest.fixture
def make_activity(platform_db: Database) -> Callable[..., int]:
    """Factory committing one activity; returns its id."""
    def make(title: str, **kwargs: Any) -> int:
        with platform_db.transaction() as session:
            return add_activity(session, title, **kwargs).id
    return make


@pytest.fixture(autouse=True)
def search_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mount the search area even before ``tocsin/web/app.py`` lists it."""
    from tocsin.web import app as web_app

    if "search" not in web_app.ROUTERS:
        monkeypatch.setattr(web_app, "ROUTERS", [*web_app.ROUTERS, "search"])


#: For tests whose subject does not depend on the database engine: run them on SQLite only.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
