"""Request dependencies: the database session, the signed-in principal, CSRF checks.

Every route that shows or changes data depends on :func:`principal`, which also
verifies the CSRF token on state-changing requests, so no route can forget it.
Without a session, pages redirect to the login form and ``/api`` answers 401.
"""

from __future__ import annotations

import asyncio
import hmac
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tocsin.access import login
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.access.users import principal_for
from tocsin.errors import PermissionDenied
from tocsin.i18n import N_
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
    #: The language the user chose; ``None``: the cookie's or the browser's.
    language: str | None = None


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token."""


class DatabaseBusy(Exception):
    """Every database connection stayed in use for too long: answered 503 with Retry-After."""


class DatabaseSlots:
    """A semaphore sized to the connection pool, awaited on the event loop (also used for
    other scarce turns, e.g. password checks).

    Requests take a slot before they open a session, so at most ``size`` sessions hold
    pooled connections and no thread ever waits inside the pool. One semaphore per
    event loop (test clients each run their own loop).
    """

    def __init__(self, size: int, wait_seconds: float, what: str = "database slots") -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self.what = what
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                  asyncio.Semaphore] = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        found = self._by_loop.get(loop)
        if found is None:
            found = self._by_loop[loop] = asyncio.Semaphore(self.size)
        return found

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        semaphore = self._semaphore()
        try:
            await asyncio.wait_for(semaphore.acquire(), self.wait_seconds)
        except TimeoutError:
            raise DatabaseBusy(f"all {self.size} {self.what} stayed in use for "
                               f"{self.wait_seconds:g} s") from None
        try:
            yield
        finally:
            semaphore.release()


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def database(request: Request) -> Database:
    value: Database = request.app.state.db
    return value


async def database_slot(request: Request) -> AsyncIterator[None]:
    """Wait (without blocking the event loop) for one of the pool's connections.

    Raises :class:`DatabaseBusy` (503) when none frees up in time, so an exhausted pool
    answers quickly instead of piling up threads that each wait for a connection.
    """
    slots: DatabaseSlots = request.app.state.database_slots
    async with slots.hold():
        yield


def db_session(request: Request,
               _slot: Annotated[None, Depends(database_slot, scope="function")]
               ) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, else rolled back.

    A sync dependency, so opening and closing the transaction runs in the thread pool,
    never on the event loop.
    """
    with database(request).transaction() as session:
        yield session


# scope="function": commit before the response is sent, so the browser's next request
# (e.g. the redirect after login) always sees what this one wrote.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


class FormRequest(Request):
    """A request whose form fields hold their line breaks as LF.

    A browser sends a textarea's line breaks as CRLF (HTML's form submission); the
    platform holds LF, as XML and the command line read them. Every way a route reads a
    form (:func:`form_data`, ``Form()`` parameters, ``await request.form()`` and the CSRF
    check) goes through this one parse, so no page stores a carriage return its user
    never typed, and a page saved unchanged does not differ from what was imported.
    """

    async def _get_form(self, *, max_files: int | float = 1000, max_fields: int | float = 1000,
                        max_part_size: int = 1024 * 1024) -> FormData:
        # Starlette's one parse of the body (it caches the result in ``_form``); the
        # uploaded files are kept as they are, only text fields are read again
        if self._form is None:
            parsed = await super()._get_form(max_files=max_files, max_fields=max_fields,
                                             max_part_size=max_part_size)
            self._form = FormData([(key, lf_line_breaks(value) if isinstance(value, str)
                                    else value) for key, value in parsed.multi_items()])
        return self._form


def lf_line_breaks(text: str) -> str:
    """CRLF and a CR alone read as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


class FormRoute(APIRoute):
    """The route class of every router: its handler reads the body as a :class:`FormRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[object, object, Response]]:
        handler = super().get_route_handler()

        async def read_as_form_request(request: Request) -> Response:
            return await handler(FormRequest(request.scope, request.receive))

        return read_as_form_request


async def form_data(request: Request) -> FormData:
    """The parsed form body (Starlette caches it, so routes and checks share one parse),
    its line breaks read as LF (:class:`FormRequest`)."""
    return await request.form()


FormFields = Annotated[FormData, Depends(form_data)]


async def csrf_supplied(request: Request) -> str:
    """The CSRF token the request carries: the header, else the form field (no database)."""
    if request.method in SAFE_METHODS:
        return ""
    supplied = request.headers.get(CSRF_HEADER, "")
    if not supplied and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached: the route can read it again
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else ""
    return supplied


def _check_csrf(request: Request, supplied: str, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise CsrfFailed()


def principal(request: Request, session: DbSession,
              supplied: Annotated[str, Depends(csrf_supplied)]) -> Principal:
    # Sync: the session lookup runs in the thread pool, never on the event loop.
    found = login.resolve(session, request.cookies.get(SESSION_COOKIE),
                          settings(request).session_idle_minutes)
    if found is None:
        session.commit()  # an expired or idle session met here is deleted for good
        raise LoginRequired()
    user, open_session = found
    _check_csrf(request, supplied, open_session.csrf_token)
    request.state.user = SignedIn(user.username, user.full_name, user.role, user.unit.code,
                                  user.unit.name, user.language)
    request.state.csrf_token = open_session.csrf_token
    request.state.user_id = user.id  # for the access log
    acting = principal_for(user)
    request.state.principal = acting  # pages ask the same policy functions as the routes
    return acting


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def admin(principal: CurrentPrincipal) -> Principal:
    if not principal.can(Action.ADMINISTER):
        raise PermissionDenied(N_("this page is for administrators"))
    return principal


AdminPrincipal = Annotated[Principal, Depends(admin)]
