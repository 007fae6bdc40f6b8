"""On PostgreSQL the application role cannot rewrite the audit log: a separate owner
role owns the tables, and the documented grants leave the application role only
INSERT and SELECT on the log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tests.conftest import PG_URL
from tocsin.access import audit, chain, grants
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.cli.main import app
from tocsin.settings import get_settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.engine import make_engine, normalise_url

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs TOCSIN_TEST_DATABASE_URL")
KEY = b"k" * 32


@dataclass
class Roles:
    owner_url: str
    app_url: str
    app_role: str


@pytest.fixture(scope="module")
def roles() -> Iterator[Roles]:
    assert PG_URL
    suffix = uuid.uuid4().hex[:8]
    owner, application = f"tocsin_owner_{suffix}", f"tocsin_app_{suffix}"
    name = f"tocsin_g_{suffix}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN"))
        conn.execute(text(f"CREATE ROLE {application} LOGIN"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {owner}'))
    base = make_url(normalise_url(PG_URL)).set(database=name)
    urls = Roles(base.set(username=owner).render_as_string(hide_password=False),
                 base.set(username=application).render_as_string(hide_password=False),
                 application)
    owner_engine = make_engine(urls.owner_url)
    migrate.upgrade(owner_engine)  # tocsin init, run as the owner
    with owner_engine.begin() as conn:
        for statement in grants.grant_statements(application):
            conn.execute(text(statement))
    owner_engine.dispose()
    try:
        yield urls
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {application}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET detail = 'rewritten'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "DROP TABLE audit_log",
    "ALTER TABLE audit_log ADD COLUMN note text",
    "DELETE FROM audit_chain_head",
    "SET session_replication_role = replica",
    "UPDATE alembic_version SET version_num = 'x'",
])
def test_the_application_role_cannot_change_the_log(roles: Roles, statement: str) -> None:
    db = Database.from_url(roles.app_url, audit_key=KEY)
    try:
        with db.transaction() as session:  # it runs the platform: writes records and audit rows
            code = f"unit-{uuid.uuid4().hex[:8]}"
            session.add(Unit(code=code, name="A unit"))
            audit.record(session, Principal.system(), "create", "unit", code)
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), \
                db.engine.begin() as conn:
            conn.execute(text(statement))
        with db.engine.connect() as conn:
            report = chain.verify(conn, KEY)
            assert report.ok and report.rows >= 1
    finally:
        db.engine.dispose()


def test_grants_report_tells_the_roles_apart(roles: Roles, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for url, ok in ((roles.app_url, True), (roles.owner_url, False)):
        engine = make_engine(url)
        with engine.connect() as conn:
            report = grants.check(conn)
        engine.dispose()
        assert report.ok is ok, report.findings
        monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
        monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["audit", "grants"])
        get_settings.cache_clear()
        assert result.exit_code == (0 if ok else 1), result.output
        assert ("cannot alter" in result.output) is ok


def test_grant_statements_refuse_a_strange_role_name() -> None:
    from tocsin.errors import InputError

    with pytest.raises(InputError, match="role"):
        grants.grant_statements("app; DROP TABLE audit_log")
