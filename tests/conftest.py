"""Shared fixtures: every storage test runs on SQLite and, when
``TOCSIN_TEST_DATABASE_URL`` is set, on the real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.engine import make_engine, normalise_url

PG_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")
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
