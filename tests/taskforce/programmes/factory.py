"""Tiny named activities and principals for the task force tests."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.factories import LiveServer, free_port
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import Unit
from tocsin.reference.load import sync_reference
from tocsin.reference.registry import load_registry
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    DocumentSpec,
    FinanceSpec,
    IndicatorSpec,
    ParticipantSpec,
    PeriodSpec,
    RegionSpec,
    ResultSpec,
    ShareSpec,
)

ORG = "XM-OSCE"
#: A qualitative indicator's target of 500 characters, as IATI allows (it sets no length).
QUALITATIVE = (
    "Financial investigators of the three participating States trace the proceeds of crime "
    "across their borders as a matter of course: each asset-recovery office answers a request "
    "from another within ten working days, joint investigation teams are agreed for every case "
    "with links abroad, and the prosecutors of the region meet twice a year to review the cases "
    "opened, the assets frozen and the confiscations obtained, with the findings shared with "
    "the task force and published in each programme's report.")


def principal(session: Session, role: str, unit: str = "tntd-spmu",
              username: str | None = None) -> Principal:
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
    assert unit_id is not None, unit
    return Principal(user_id=None, username=username or f"{role}-{unit}", role=Role(role),
                     unit_id=unit_id)


def spec(identifier: str = f"{ORG}-1", **fields: object) -> ActivitySpec:
    """The smallest valid activity, with any field overridden."""
    base: dict[str, object] = {
        "identifier": identifier,
        "level": "activity",
        "title": f"Activity {identifier}",
        "reporting_org_ref": ORG,
        "reporting_org_name": "The organization",
        "planned_start": date(2024, 1, 1),
        "implementing_structure": "tntd-spmu",
    }
    base.update(fields)
    return ActivitySpec(**base)  # type: ignore[arg-type]


def full_spec(identifier: str = f"{ORG}-FULL", **fields: object) -> ActivitySpec:
    """An activity using every part of the model."""
    base: dict[str, object] = {
        "level": "programme",
        "title": "Countering illicit financial flows in South-Eastern Europe",
        "description": "Training & mentoring of financial investigators <fictional>.",
        "status": 2,
        "planned_start": date(2024, 1, 1),
        "actual_start": date(2024, 2, 15),
        "planned_end": date(2026, 12, 31),
        "default_currency": "EUR",
        "participants": [
            ParticipantSpec(role=1, name="Ministry of Foreign Affairs (fictional donor)",
                            org_ref="XX-DONOR-1", org_type="10"),
            ParticipantSpec(role=4, organization_code="unodc", name="UNODC", org_type="40"),
        ],
        # IATI: countries and the regions of each vocabulary add up to 100 together
        "countries": [ShareSpec(code="AL", percentage=Decimal("45")),
                      ShareSpec(code="RS", percentage=Decimal("30"))],
        "regions": [RegionSpec(code="89", percentage=Decimal("25"))],
        "crime_areas": [ShareSpec(code="money_laundering", percentage=Decimal("70")),
                        ShareSpec(code="corruption", percentage=Decimal("20")),
                        ShareSpec(code="cybercrime", percentage=Decimal("10"))],
        "stages": [ShareSpec(code="investigation", percentage=Decimal("50")),
                   ShareSpec(code="asset_recovery", percentage=Decimal("50"))],
        "finance": [
            FinanceSpec(year=2024, kind="budget", amount=Decimal("250000"), currency="EUR"),
            FinanceSpec(year=2025, kind="budget", amount=Decimal("300000.50"), currency="EUR"),
            FinanceSpec(year=2024, kind="commitment", amount=Decimal("120000"), currency="EUR"),
            FinanceSpec(year=2024, kind="expenditure", amount=Decimal("99000.25"),
                        currency="EUR"),
        ],
        "results": [ResultSpec(
            type=2, title="Investigators trace proceeds across borders",
            description="Outcome measured by joint cases.",
            indicators=[IndicatorSpec(
                title="Joint financial investigations opened", measure=1, ascending=True,
                baseline_year=2023, baseline_value="2",
                periods=[PeriodSpec(start=date(2024, 1, 1), end=date(2024, 12, 31),
                                    target="5", actual="4")],
            )],
        )],
        "documents": [DocumentSpec(title="Project document", url="https://example.org/p.pdf",
                                   mime_type="application/pdf", category="A02",
                                   language="en", document_date=date(2024, 1, 10))],
    }
    base.update(fields)
    return spec(identifier, **base)


def count(session: Session, model: type) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- fixtures shared by the task force test packages (imported by their conftest) -------


@pytest.fixture(scope="session")
def reference_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated SQLite template with the reference framework loaded, once per session."""
    path = tmp_path_factory.mktemp("taskforce") / "reference.db"
    shutil.copy(sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    with database.transaction() as s:
        sync_reference(s, load_registry())
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.engine.dispose()
    return path


@pytest.fixture
def tf_db(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Database]:
    """A database with the reference framework (and its units) on every backend.

    SQLite copies a prepared file (fast); PostgreSQL loads the framework each time.
    """
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        shutil.copy(request.getfixturevalue("reference_template"), url.database)
        database = Database.from_settings(settings)
    else:
        database = Database.from_settings(settings)
        with database.transaction() as s:
            sync_reference(s, load_registry())
    yield database
    database.engine.dispose()


@pytest.fixture
def session(tf_db: Database) -> Iterator[Session]:
    """One transaction on ``tf_db``, committed at the end of the test."""
    with tf_db.transaction() as s:
        yield s


# --- the web application with the programme and commitment areas ------------------------


def taskforce_app(settings: Settings) -> FastAPI:
    """The application exactly as ``create_app`` builds it (it lists both areas)."""
    from tocsin.web.app import create_app

    return create_app(settings)


@pytest.fixture
def tf_client(settings: Settings, tf_db: Database) -> Iterator[TestClient]:
    app = taskforce_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        yield client
    app.state.db.engine.dispose()


@pytest.fixture
def tf_live_server(sqlite_settings: Settings) -> Iterator[LiveServer]:
    """The platform with these areas, served by uvicorn on a free loopback port."""
    db = Database.from_settings(sqlite_settings)
    with db.transaction() as s:
        sync_reference(s, load_registry())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(taskforce_app(sqlite_settings), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the live server did not start")
    live = LiveServer(url, sqlite_settings, db, server, thread)
    yield live
    live.stop()
