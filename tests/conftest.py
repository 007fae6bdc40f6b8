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

import hypothesis
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tocsin.access import passwords
from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.engine import make_engine, normalise_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.factories import LiveServer

PG_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")
# Property tests check properties, not timing: on a shared two-core machine a busy moment
# made Hypothesis refuse a test for drawing four dates and integers in 1.9 s.
hypothesis.settings.register_profile(
    "tocsin", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile("tocsin")
# Outside demo mode no audit row is written without a key: the tests (and the CLI and
# server processes they start, which inherit the environment) sign the chain with this one.
os.environ.setdefault("TOCSIN_AUDIT_KEY", "audit-key-of-the-test-suite-" + "k" * 16)
# A model grown on the shipped one rehearses no generated world in the suite (the default
# eight cost about a minute for each training); the tests of rehearsal ask for one.
os.environ.setdefault("TOCSIN_MONEY_TRAIN_REHEARSAL_WORLDS", "0")
# The command line speaks the locale's language: the suite's assertions are in English
# whatever the machine's locale (the tests of other languages ask for theirs).
for _name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(_name, None)
# The command line's tables as a pipe gets them, whatever started the suite: the processes of
# a parallel run are given COLUMNS=80 (the tests that want a width ask for theirs).
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
CHROMIUM = "/usr/bin/chromium"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


#: The platform's own password hasher, kept before the suite swaps in a cheaper one (and
#: checked by tests/access/test_login.py).
PLATFORM_HASHER = passwords._hasher


def cli_platform(patch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` a platform for the command line (data folder, secret key, the
    embedded database), with no language chosen by the environment."""
    from tocsin.settings import get_settings

    patch.setenv("TOCSIN_DATA_DIR", str(folder / "data"))
    patch.setenv("TOCSIN_SECRET_KEY", "k" * 40)
    patch.delenv("TOCSIN_DATABASE_URL", raising=False)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        patch.delenv(name, raising=False)
    get_settings.cache_clear()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """:func:`cli_platform` in ``tmp_path``; a test module that needs more (a loaded demo,
    wider tables) defines its own."""
    from tocsin.settings import get_settings

    cli_platform(monkeypatch, tmp_path)
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashes() -> Iterator[None]:
    """argon2id at its lowest cost for the suite's hundreds of throwaway users and logins:
    at the platform's cost (64 MiB, 3 passes) each hash or check takes 0.1-0.2 s of CPU.
    The algorithm and the code paths stay the same; a hash records its own parameters, so
    checking a password is unchanged."""
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._hasher = PLATFORM_HASHER


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
        #: prepared states, dropped with the two templates at the end
        self.templates: list[str] = []
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

    def copy(self, platform: bool, template: str | None = None) -> str:
        """A new database copied from ``template``, else the platform or empty one."""
        self.count += 1
        return self._create(f"{self.prefix}_{self.count}",
                            template=template or (self.platform if platform else self.empty))

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
        for name in (*self.templates, self.platform, self.empty):
            self.drop(name, wait=True)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    assert PG_URL
    databases = PgDatabases(PG_URL)
    yield databases
    databases.close()


#: A prepared state: fills a platform database (reference data loaded) with what a fixture
#: of that name stands for.
Preparer = Callable[[Database, Settings], None]
PREPARED: dict[str, Preparer] = {}
#: Prepared states that also write files to the data folder, which is copied too.
WITH_DATA: set[str] = set()


def prepared(name: str, data: bool = False) -> Callable[[Preparer], Preparer]:
    """Register ``preparer`` as the content of fixture ``name`` (which must use
    ``platform_db``): it runs once per backend and session into a template, and every
    test using the fixture starts from a copy (as ``platform_db`` does). With ``data``,
    the files it wrote to the template's data folder are copied into the test's."""
    def register(preparer: Preparer) -> Preparer:
        PREPARED[name] = preparer
        if data:
            WITH_DATA.add(name)
        return preparer
    return register


def _prepared_state(request: pytest.FixtureRequest) -> str | None:
    states = [name for name in request.fixturenames if name in PREPARED]
    if len(states) > 1:  # one template per test: the second state would be silently missing
        raise pytest.UsageError(f"{request.node.nodeid}: uses the prepared states "
                                f"{', '.join(states)}; a test can start from one only")
    return states[0] if states else None


def _test_settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url,
                    secret_key="t" * 40, cookie_secure=True)


@pytest.fixture(scope="session")
def prepared_templates() -> dict[str, str]:
    """The templates made so far by ``backend:state``: a SQLite file or a PostgreSQL name
    (and ``backend:state:data``, the data folder the state was prepared with)."""
    return {}


def _prepared_template(request: pytest.FixtureRequest, backend: str, state: str) -> str:
    templates: dict[str, str] = request.getfixturevalue("prepared_templates")
    key = f"{backend}:{state}"
    if key in templates:
        return templates[key]
    folder = request.getfixturevalue("tmp_path_factory").mktemp(f"prepared-{state}")
    if backend == "sqlite":
        path = folder / "template.db"
        shutil.copy(request.getfixturevalue("sqlite_platform_template"), path)
        url = f"sqlite:///{path}"
        template = str(path)
    else:
        databases: PgDatabases = request.getfixturevalue("pg_databases")
        template = databases.copy(platform=True)
        databases.templates.append(template)
        url = databases.url(template)
    database = Database.from_url(url)
    PREPARED[state](database, _test_settings(folder / "data", url))
    if backend == "sqlite":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.engine.dispose()  # a PostgreSQL template takes no connections
    templates[key] = template
    templates[f"{key}:data"] = str(folder / "data")
    return template


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database per test: empty and migrated, or with the reference
    framework loaded when the test uses ``platform_db``, or in a prepared state
    (``prepared``) when it uses a fixture registered as one."""
    platform = "platform_db" in request.fixturenames
    state = _prepared_state(request)
    if request.param == "sqlite":
        path = tmp_path / "tocsin.db"
        if state is not None:
            shutil.copy(_prepared_template(request, "sqlite", state), path)
        else:
            template = "sqlite_platform_template" if platform else "sqlite_template"
            shutil.copy(request.getfixturevalue(template), path)
        yield f"sqlite:///{path}"
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    name = databases.copy(platform, _prepared_template(request, "postgresql", state)
                          if state is not None else None)
    yield databases.url(name)
    databases.drop(name)


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    state = _prepared_state(request)
    if state in WITH_DATA:  # the files of the prepared state's template, beside its copy
        backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        templates: dict[str, str] = request.getfixturevalue("prepared_templates")
        data = Path(templates[f"{backend}:{state}:data"])
        if data.exists():
            shutil.copytree(data, tmp_path / "data")
    return _test_settings(tmp_path / "data", database_url)


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
                    secret_key="b" * 40, cookie_secure=True)


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


@prepared("demo_set", data=True)
def _money_demo(db: Database, settings: Settings) -> None:
    from tocsin.money import demo

    with db.transaction() as session:
        demo.load(session, settings)


@pytest.fixture
def demo_set(platform_db: Database) -> int:
    """The fictional demo case registered as an AMBER set of ``tntd-spmu`` (copied with its
    files from a template loaded once per backend); its id."""
    from tocsin.money import demo
    from tocsin.money.tables import TransactionSet

    with platform_db.transaction() as session:
        found = session.scalar(select(TransactionSet.id).where(
            TransactionSet.name == demo.DEMO_NAME))
    assert found is not None
    return int(found)
