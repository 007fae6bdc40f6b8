from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tocsin.access import audit, login, passwords, users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, LoginSession, Unit
from tocsin.errors import AuthenticationError, InputError, RateLimited
from tocsin.settings import Settings
from tocsin.store.database import Database

PASSWORD = "Correct-horse-battery-9"


@pytest.fixture
def user_db(db: Database) -> Database:
    with db.transaction() as session:
        session.add(Unit(code="tntd-spmu", name="Strategic Police Matters Unit"))
        session.flush()
        users.add_user(session, Principal.system(), "ana", PASSWORD, Role.ANALYST, "tntd-spmu")
    return db


def test_password_is_hashed_with_argon2(user_db: Database) -> None:
    with user_db.transaction() as session:
        user = users.get_user(session, "ana")
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_the_platform_hashes_at_the_recommended_argon2id_cost() -> None:
    """The suite hashes its test users' passwords cheaply; the platform keeps RFC 9106's
    second recommended setting (64 MiB, 3 passes, 4 lanes)."""
    from argon2 import Type

    from tests.conftest import PLATFORM_HASHER

    assert PLATFORM_HASHER.type is Type.ID
    assert (PLATFORM_HASHER.memory_cost, PLATFORM_HASHER.time_cost,
            PLATFORM_HASHER.parallelism) == (64 * 1024, 3, 4)
    assert passwords.DUMMY_HASH.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_weak_password_is_refused(user_db: Database) -> None:
    with user_db.transaction() as session, pytest.raises(InputError, match="at least 12"):
        users.add_user(session, Principal.system(), "bob", "short", Role.ANALYST, "tntd-spmu")


@pytest.mark.parametrize("password", ["password1234", "P@ssw0rd2026", "Summer2026!!",
                                      "qwertyuiop12", "iloveyou2026", "aaaaaaaaaaaaaa",
                                      "bob-is-the-best-2026"])
def test_common_or_guessable_password_is_refused(user_db: Database, password: str) -> None:
    with user_db.transaction() as session, pytest.raises(InputError) as raised:
        users.add_user(session, Principal.system(), "bob", password, Role.ANALYST, "tntd-spmu")
    assert raised.value.problems[0].location == "password"


def test_common_password_list_is_bundled_with_its_licence() -> None:
    from importlib import resources

    from tocsin.access.passwords import common_passwords

    assert len(common_passwords()) >= 29_000 and "password" in common_passwords()
    notice = resources.files("tocsin.access").joinpath("data/common-passwords.LICENSE.txt")
    assert "MIT" in notice.read_text()


def test_login_opens_a_session_and_logout_ends_it(user_db: Database, settings: Settings) -> None:
    with user_db.transaction() as session:
        opened = login.login(session, settings, "ana", PASSWORD, "10.0.0.1")
    with user_db.transaction() as session:
        found = login.resolve(session, opened.token)
        assert found is not None and found[0].username == "ana"
        stored = session.scalars(select(LoginSession)).one()
        assert stored.token_hash != opened.token  # only the hash is stored
        login.logout(session, opened.token)
    with user_db.transaction() as session:
        assert login.resolve(session, opened.token) is None
        actions = [e.action for e in audit.query(session, username="ana")]
        assert actions[:2] == ["logout", "login"]


def test_expired_session_is_refused(user_db: Database, settings: Settings) -> None:
    with user_db.transaction() as session:
        opened = login.login(session, settings, "ana", PASSWORD, "10.0.0.1")
        row = session.scalars(select(LoginSession)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with user_db.transaction() as session:
        assert login.resolve(session, opened.token) is None


def test_rate_limit_after_repeated_failures(user_db: Database, settings: Settings) -> None:
    for _ in range(settings.login_max_failures):
        with user_db.transaction() as session, pytest.raises(AuthenticationError):
            login.login(session, settings, "ana", "wrong-password-000", "10.0.0.2")
    with user_db.transaction() as session, pytest.raises(RateLimited):
        login.login(session, settings, "ana", PASSWORD, "10.0.0.2")  # even the right password
    with user_db.transaction() as session:  # the guesser's address does not lock ana out
        login.login(session, settings, "ana", PASSWORD, "10.0.0.3")
    with user_db.transaction() as session:
        actions = [e.action for e in audit.query(session, username="ana")]
    assert actions[:2] == ["login", "login_throttled"]


def test_disabled_user_cannot_log_in_and_loses_sessions(user_db: Database,
                                                        settings: Settings) -> None:
    with user_db.transaction() as session:
        opened = login.login(session, settings, "ana", PASSWORD, "10.0.0.1")
        users.set_active(session, Principal.system(), "ana", False)
    with user_db.transaction() as session:
        assert login.resolve(session, opened.token) is None
    with user_db.transaction() as session, pytest.raises(AuthenticationError):
        login.login(session, settings, "ana", PASSWORD, "10.0.0.1")


def test_change_password(user_db: Database, settings: Settings) -> None:
    with user_db.transaction() as session:
        user = users.get_user(session, "ana")
        with pytest.raises(AuthenticationError):
            users.change_password(session, user, "not-the-password-1", "New-password-2026")
        users.change_password(session, user, PASSWORD, "New-password-2026")
    with user_db.transaction() as session:
        login.login(session, settings, "ana", "New-password-2026", "10.0.0.1")


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET username = 'x'",
                                       "DELETE FROM audit_log"])
def test_audit_log_is_append_only(user_db: Database, statement: str) -> None:
    with user_db.transaction() as session:
        audit.record(session, Principal.system(), "export", "activity", 1, "AMBER")
    with pytest.raises(DBAPIError, match="append-only"), user_db.transaction() as session:
        session.execute(text(statement))
    with user_db.transaction() as session:
        assert session.scalars(select(AuditEntry)).all()
