"""Shared fixtures: every storage test runs on SQLite and, when
``TOCSIN_TEST_DATABASE_URL`` is set, on the real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.engine import make_engine, normalise_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.factories import LiveServer

PG_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")
CHROMIUM = "/usr/bin/chromium"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A private PostgreSQL schema per test session, so parallel runs do not collide."""
    assert PG_URL
    schema = f"tocsin_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(_pg_url_with_schema(schema))
    migrate.upgrade(engine)
    engine.dispose()
    yield schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _pg_url_with_schema(schema: str) -> str:
    assert PG_URL
    url = normalise_url(PG_URL)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


def _truncate_all(database: Database) -> None:
    tables = [t.name for t in migrate.import_all_tables().sorted_tables]
    with database.engine.begin() as conn:
        # replica mode skips the audit log's append-only trigger, for test cleanup only
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "tocsin.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = _pg_url_with_schema(request.getfixturevalue("pg_schema"))
    database = Database.from_url(url)
    _truncate_all(database)
    database.engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="t" * 40,  # type: ignore[arg-type]
        cookie_secure=True,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """An empty, migrated database on each backend."""
    database = Database.from_settings(settings)
    yield database
    database.engine.dispose()


# --- the platform with reference data, users and the web application ---------------------

@pytest.fixture
def platform_db(db: Database) -> Database:
    """A migrated database with the reference framework loaded (units included)."""
    from tocsin.reference.load import sync_reference
    from tocsin.reference.registry import load_registry

    with db.transaction() as session:
        sync_reference(session, load_registry())
    return db


@pytest.fixture
def make_user(platform_db: Database) -> Callable[..., tuple[str, str]]:
    """Factory: ``make_user("analyst", unit="tntd-spmu")`` → (username, password)."""
    from tests.factories import create_user

    def make(role: str, unit: str = "tntd-spmu", username: str | None = None) -> tuple[str, str]:
        return create_user(platform_db, role, unit, username)

    return make


@pytest.fixture
def client(settings: Settings, platform_db: Database) -> Iterator[TestClient]:
    """The web application in-process, over HTTPS so secure cookies flow."""
    from tocsin.web.app import create_app

    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client
    app.state.db.engine.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings on an embedded SQLite copy only (browser tests need one backend)."""
    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    return Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{path}",
                    secret_key="b" * 40, cookie_secure=True)  # type: ignore[arg-type]


@pytest.fixture
def live_server(sqlite_settings: Settings) -> Iterator[LiveServer]:
    """The platform served by uvicorn on a free loopback port, with reference data loaded."""
    from tests.factories import start_live_server

    server = start_live_server(sqlite_settings)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (Playwright cannot download browsers here)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    new_page = context.new_page()
    new_page.set_default_timeout(15_000)
    yield new_page
    context.close()
