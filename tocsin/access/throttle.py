"""Login throttling per (username, client address), with exponential back-off.

Each pair has one row in ``login_throttle``. An attempt first *reserves* its place:
in a short transaction of its own it locks the pair's row (``INSERT … ON CONFLICT DO
NOTHING`` then ``SELECT … FOR UPDATE``; on SQLite the insert takes the database's
write lock) and counts itself before the password is checked. So parallel attempts
are counted one after another and exactly ``login_max_failures`` of them get a
password check; the rest are refused at once.

After the allowed failures the pair must wait ``login_backoff_seconds``, doubled with
each further failure, at most ``login_window_minutes``; one attempt is checked after
each wait. A success clears the pair. Failures older than the window are forgotten.
Keying by address as well as by username means a guesser cannot lock the real user
out from another address; the back-off keeps each address's guessing slow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from math import ceil

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tocsin.access.tables import LoginThrottle
from tocsin.errors import RateLimited
from tocsin.i18n import N_
from tocsin.settings import Settings


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes even for timezone-aware columns.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _locked(session: Session, username: str, address: str, now: datetime) -> LoginThrottle:
    """The pair's row, created if need be and locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(
        module.insert(LoginThrottle)
        .values(username=username, address=address, failures=0, last_attempt_at=now)
        .on_conflict_do_nothing(index_elements=["username", "address"])
    )
    return session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.username == username, LoginThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def backoff(settings: Settings, failures: int) -> timedelta:
    """The wait after ``failures`` failures (``failures`` ≥ the allowed number)."""
    over = max(0, failures - settings.login_max_failures)
    seconds = settings.login_backoff_seconds * 2 ** min(over, 30)
    return min(timedelta(seconds=seconds), timedelta(minutes=settings.login_window_minutes))


def _refuse(wait: timedelta) -> RateLimited:
    seconds = max(1, ceil(wait.total_seconds()))
    if seconds < 120:
        said = N_("Too many failed logins for this account from your address; try again in "
                  "%(seconds)s seconds.", seconds=seconds)
    else:
        said = N_("Too many failed logins for this account from your address; try again in "
                  "%(minutes)s minutes.", minutes=ceil(seconds / 60))
    return RateLimited(said, retry_after=seconds)


def reserve(engine: Engine, settings: Settings, username: str, address: str) -> None:
    """Count this attempt before the password is checked, or raise :class:`RateLimited`."""
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = _locked(session, username, address, now)
        blocked = _aware(row.blocked_until)
        if blocked is not None and now < blocked:
            raise _refuse(blocked - now)
        last = _aware(row.last_attempt_at) or now
        if last < now - timedelta(minutes=settings.login_window_minutes):
            row.failures = 0  # an old run of failures is forgotten
        if row.failures >= settings.login_max_failures and blocked is None:
            # the allowed attempts are still being checked: none beyond them
            raise _refuse(backoff(settings, row.failures))
        row.failures += 1
        row.last_attempt_at = now
        row.blocked_until = None


def failed(engine: Engine, settings: Settings, username: str, address: str) -> None:
    """The reserved attempt had a wrong password: start or extend the back-off."""
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        row = _locked(session, username, address, now)
        row.failures = max(row.failures, 1)  # a success in between cleared the pair
        row.last_attempt_at = now
        if row.failures >= settings.login_max_failures:
            row.blocked_until = now + backoff(settings, row.failures)
    _forget_stale(engine, settings, now)


def _forget_stale(engine: Engine, settings: Settings, now: datetime) -> None:
    """Delete pairs whose failures are long forgotten, so guessing with made-up names
    cannot grow the table without end. Rows another attempt holds are skipped."""
    stale = now - 2 * timedelta(minutes=settings.login_window_minutes)
    with Session(engine) as session, session.begin():
        keys = session.execute(
            select(LoginThrottle.username, LoginThrottle.address)
            .where(LoginThrottle.last_attempt_at < stale,
                   or_(LoginThrottle.blocked_until.is_(None),
                       LoginThrottle.blocked_until < now))
            .limit(500).with_for_update(skip_locked=True)
        ).all()
        for username, address in keys:
            session.execute(delete(LoginThrottle).where(LoginThrottle.username == username,
                                                        LoginThrottle.address == address))


def succeeded(engine: Engine, username: str, address: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(LoginThrottle).where(LoginThrottle.username == username,
                                                    LoginThrottle.address == address))
