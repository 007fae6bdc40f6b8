"""Request dependencies: the database session, the signed-in principal, CSRF checks.

Every route that shows or changes data depends on :func:`principal`, which also
verifies the CSRF token on state-changing requests, so no route can forget it.
Without a session, pages redirect to the login form and ``/api`` answers 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tocsin.access import login
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.access.users import principal_for
from tocsin.errors import PermissionDenied
from tocsin.settings import Settings
from tocsin.store.database import Database

SESSION_COOKIE = "tocsin_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SignedIn:
    """What pages show of the signed-in user: plain values that outlive the DB session."""

    username: str
    full_name: str
    role: str
    unit_code: str
    unit_name: str


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token."""


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def database(request: Request) -> Database:
    value: Database = request.app.state.db
    return value


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, else rolled back."""
    with database(request).transaction() as session:
        yield session


# scope="function": commit before the response is sent, so the browser's next request
# (e.g. the redirect after login) always sees what this one wrote.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


async def _check_csrf(request: Request, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    supplied = request.headers.get(CSRF_HEADER, "")
    if not supplied and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette caches it, so the route can read it again
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else ""
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise CsrfFailed()


async def principal(request: Request, session: DbSession) -> Principal:
    found = login.resolve(session, request.cookies.get(SESSION_COOKIE),
                          settings(request).session_idle_minutes)
    if found is None:
        session.commit()  # an expired or idle session met here is deleted for good
        raise LoginRequired()
    user, open_session = found
    await _check_csrf(request, open_session.csrf_token)
    request.state.user = SignedIn(user.username, user.full_name, user.role, user.unit.code,
                                  user.unit.name)
    request.state.csrf_token = open_session.csrf_token
    request.state.user_id = user.id  # for the access log
    return principal_for(user)


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def admin(principal: CurrentPrincipal) -> Principal:
    if not principal.can(Action.ADMINISTER):
        raise PermissionDenied("this page is for administrators")
    return principal


AdminPrincipal = Annotated[Principal, Depends(admin)]
