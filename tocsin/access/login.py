"""Logging in and out: rate-limited password checks and server-side sessions.

The session cookie carries a random token; only its SHA-256 is stored, so a
copy of the database does not let anyone take over a session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.orm import Session

from tocsin.access import audit, throttle
from tocsin.access.passwords import DUMMY_HASH, verify_password
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import LoginSession, User
from tocsin.access.users import principal_for
from tocsin.errors import AuthenticationError, RateLimited, TocsinError
from tocsin.i18n import N_
from tocsin.settings import Settings


@dataclass(frozen=True)
class OpenSession:
    token: str  # goes into the cookie, never stored
    csrf_token: str
    expires_at: datetime
    user: User


#: How often a session's ``last_seen_at`` is written (not on every request).
SEEN_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Checked:
    """The outcome of :func:`check`: the user's id, or the refusal to audit and raise."""

    username: str
    address: str
    user_id: int | None = None
    refused: TocsinError | None = None
    #: audit action of a refusal: ``login_throttled`` or ``login_failed``
    action: str = ""


def check(engine: Engine, settings: Settings, username: str, password: str,
          address: str) -> Checked:
    """The throttle and the password check, each in a short transaction of its own.

    Holds no connection while the password is hashed (argon2 takes a tenth of a second
    of CPU or more), so a web request can run it before it takes a database slot.
    Attempts are throttled per (username, client address) with exponential back-off
    (:mod:`tocsin.access.throttle`): a guesser slows down only their own attempts from
    their own address, never the user's from elsewhere.
    """
    username = username.strip().lower()[:80]
    address = address[:64]
    try:
        throttle.reserve(engine, settings, username, address)
    except RateLimited as exc:
        return Checked(username, address, refused=exc, action="login_throttled")
    with Session(engine) as reader:
        found = reader.execute(select(User.id, User.password_hash, User.active)
                               .where(User.username == username)).first()
    valid = verify_password(found.password_hash if found else DUMMY_HASH, password)
    if found is None or not valid or not found.active:
        throttle.failed(engine, settings, username, address)
        return Checked(username, address, action="login_failed", refused=AuthenticationError(
            N_("wrong username or password, or the account is disabled")))
    throttle.succeeded(engine, username, address)
    return Checked(username, address, user_id=found.id)


def open_session(session: Session, settings: Settings, checked: Checked) -> OpenSession:
    """Open a session for a checked login, or audit the refusal and raise it."""
    if checked.refused is not None or checked.user_id is None:
        anonymous = Principal(None, checked.username or "?", Role.PARTNER_VIEWER, None)
        audit.record(session, anonymous, checked.action or "login_failed", "user", "",
                     detail=f"from {checked.address}")
        raise checked.refused or AuthenticationError(N_("wrong username or password"))
    now = datetime.now(UTC)
    user = session.get_one(User, checked.user_id)
    token = secrets.token_urlsafe(32)
    opened = OpenSession(
        token=token,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(minutes=settings.session_lifetime_minutes),
        user=user,
    )
    session.add(LoginSession(token_hash=_hash(token), user_id=user.id,
                             csrf_token=opened.csrf_token, created_at=now,
                             expires_at=opened.expires_at, last_seen_at=now))
    audit.record(session, principal_for(user), "login", "user", user.id,
                 detail=f"from {checked.address}")
    return opened


def login(session: Session, settings: Settings, username: str, password: str,
          address: str) -> OpenSession:
    """Check the password and open a session, or raise (refusals are audited).

    :func:`check` then :func:`open_session`; the password is read and checked without
    holding the caller's connection, so a login never waits for a second pooled
    connection while it holds one.
    """
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return open_session(session, settings, check(engine, settings, username, password,
                                                 address))


def resolve(session: Session, token: str | None,
            idle_minutes: int | None = None) -> tuple[User, LoginSession] | None:
    """The active user behind a session cookie, or None if expired, idle too long,
    unknown or disabled. Marks the session as used (at most once a minute)."""
    if not token:
        return None
    row = session.get(LoginSession, _hash(token))
    if row is None:
        return None
    now = datetime.now(UTC)
    last_seen = _aware(row.last_seen_at or row.created_at)
    idle = idle_minutes is not None and last_seen + timedelta(minutes=idle_minutes) <= now
    if _aware(row.expires_at) <= now or idle:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - last_seen >= SEEN_EVERY:
        row.last_seen_at = now
    return user, row


def logout(session: Session, token: str | None) -> None:
    found = resolve(session, token)
    if found is None:
        return
    user, row = found
    session.delete(row)
    audit.record(session, principal_for(user), "logout", "user", user.id)


def end_other_sessions(session: Session, user: User, keep_token: str | None) -> None:
    """After a password change, every other session of the user ends."""
    keep = _hash(keep_token) if keep_token else ""
    session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id,
                                   LoginSession.token_hash != keep)
    )
