"""Logging in and out: rate-limited password checks and server-side sessions.

The session cookie carries a random token; only its SHA-256 is stored, so a
copy of the database does not let anyone take over a session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.passwords import DUMMY_HASH, verify_password
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import LoginAttempt, LoginSession, User
from tocsin.access.users import principal_for
from tocsin.errors import AuthenticationError, RateLimited
from tocsin.settings import Settings


@dataclass(frozen=True)
class OpenSession:
    token: str  # goes into the cookie, never stored
    csrf_token: str
    expires_at: datetime
    user: User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def login(session: Session, settings: Settings, username: str, password: str,
          address: str) -> OpenSession:
    """Check the password and open a session, or raise.

    Refused when this username or this address has had too many failures in
    the login window; the refusal itself is not counted, so an attacker cannot
    lock an account forever, only slow the guessing down.
    """
    now = datetime.now(UTC)
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    username = username.strip().lower()
    failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.at >= window_start,
            or_(LoginAttempt.username == username, LoginAttempt.address == address),
        )
    ) or 0
    if failures >= settings.login_max_failures:
        raise RateLimited(
            f"too many failed logins; try again in {settings.login_window_minutes} minutes"
        )
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.add(LoginAttempt(username=username, address=address, at=now))
        audit.record(session, Principal(None, username or "?", Role.PARTNER_VIEWER, None),
                     "login_failed", "user", "", detail=f"from {address}")
        raise AuthenticationError("wrong username or password, or the account is disabled")
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    token = secrets.token_urlsafe(32)
    opened = OpenSession(
        token=token,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(minutes=settings.session_lifetime_minutes),
        user=user,
    )
    session.add(LoginSession(token_hash=_hash(token), user_id=user.id,
                             csrf_token=opened.csrf_token, created_at=now,
                             expires_at=opened.expires_at))
    audit.record(session, principal_for(user), "login", "user", user.id,
                 detail=f"from {address}")
    return opened


def resolve(session: Session, token: str | None) -> tuple[User, LoginSession] | None:
    """The active user behind a session cookie, or None if expired, unknown or disabled."""
    if not token:
        return None
    row = session.get(LoginSession, _hash(token))
    if row is None:
        return None
    if _aware(row.expires_at) <= datetime.now(UTC):
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
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
