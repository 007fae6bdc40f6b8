"""Shared fixtures: every storage test runs on SQLite and, when
``TOCSIN_TEST_DATABASE_URL`` is set, on the real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.engine import make_engine, normalise_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.factories import LiveServer

PG_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")
# Outside demo mode no audit row is written without a key: the tests (and the CLI and
# server processes they start, which inherit the environment) sign the chain with this one.
os.environ.setdefault("TOCSIN_AUDIT_KEY", "audit-key-of-the-test-suite-" + "k" * 16)
# The command line speaks the locale's language: the suite's assertions are in English
# whatever the machine's locale (the tests of other languages ask for theirs).
for _name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(_name, None)
CHROMIUM = "/usr/bin/chromium"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


def _load_reference(url: str) -> None:
    from tocsin.reference.load import sync_reference
    from tocsin.reference.registry import load_registry

    database = Database.from_url(url)
    with database.transaction() as session:
        sync_reference(session, load_registry())
    database.engine.dispose()


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
def sqlite_platform_template(sqlite_template: Path) -> Path:
    """The migrated SQLite file with the reference framework loaded."""
    path = sqlite_template.with_name("platform.db")
    shutil.copy(sqlite_template, path)
    _load_reference(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


class PgDatabases:
    """Template databases made once per session; each test gets its own copy.

    ``CREATE DATABASE … TEMPLATE`` copies a migrated (and optionally
    reference-loaded) database in a fraction of a second, so every test starts
    from exactly the same state without migrating or truncating. Copies are
    dropped in the background and at the end of the session.
    """

    def __init__(self, url: str) -> None:
        self.base = make_url(normalise_url(url))
        self.prefix = f"tocsin_t{uuid.uuid4().hex[:8]}"
        self.admin = make_engine(url, isolation_level="AUTOCOMMIT")
        self.count = 0
        self.dropping: list[threading.Thread] = []
        self.empty = self._create(f"{self.prefix}_empty")
        migrate_engine = make_engine(self.url(self.empty))
        migrate.upgrade(migrate_engine)
        migrate_engine.dispose()
        self.platform = self._create(f"{self.prefix}_platform", template=self.empty)
        _load_reference(self.url(self.platform))

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}" STRATEGY WAL_LOG' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def copy(self, platform: bool) -> str:
        self.count += 1
        return self._create(f"{self.prefix}_{self.count}",
                            template=self.platform if platform else self.empty)

    def drop(self, name: str, wait: bool = False) -> None:
        def run() -> None:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        thread = threading.Thread(target=run)
        thread.start()
        self.dropping.append(thread)
        if wait:
            thread.join()

    def close(self) -> None:
        for thread in self.dropping:
            thread.join()
        for name in (self.platform, self.empty):
            self.drop(name, wait=True)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    assert PG_URL
    databases = PgDatabases(PG_URL)
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database per test: empty and migrated, or with the reference
    framework loaded when the test uses ``platform_db``."""
    platform = "platform_db" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "tocsin.db"
        template = "sqlite_platform_template" if platform else "sqlite_template"
        shutil.copy(request.getfixturevalue(template), path)
        yield f"sqlite:///{path}"
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    name = databases.copy(platform)
    yield databases.url(name)
    databases.drop(name)


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
    """A migrated database with the reference framework loaded (units included);
    ``database_url`` copies it from a template made once per session."""
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
def sqlite_settings(tmp_path: Path, sqlite_platform_template: Path) -> Settings:
    """Settings on an embedded SQLite copy with the reference framework loaded
    (browser tests need one backend)."""
    path = tmp_path / "browser.db"
    shutil.copy(sqlite_platform_template, path)
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


@pytest.fixture
def demo_set(platform_db: Database, settings: Settings) -> int:
    """The fictional demo case registered as an AMBER set of ``tntd-spmu``; its id."""
    from tocsin.money import demo
    from tocsin.money.tables import TransactionSet

    with platform_db.transaction() as session:
        demo.load(session, settings)
    with platform_db.transaction() as session:
        found = session.scalar(select(TransactionSet.id).where(
            TransactionSet.name == demo.DEMO_NAME))
    assert found is not None
    return int(found)
