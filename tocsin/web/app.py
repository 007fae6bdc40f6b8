"""``create_app()``: the FastAPI application with pages, the JSON API and static files."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tocsin import __version__, i18n, limits
from tocsin.errors import AuthenticationError, InputError, NotFound, PermissionDenied
from tocsin.i18n import N_
from tocsin.lifecycle import clean_unfinished_imports
from tocsin.limits import TooLarge
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database
from tocsin.store.private import private_folder
from tocsin.web.accesslog import AccessLog, make_logger
from tocsin.web.denials import audit_denial
from tocsin.web.deps import CsrfFailed, DatabaseBusy, DatabaseSlots, LoginRequired
from tocsin.web.guard import BodyGuard, session_checker
from tocsin.web.origin import OriginCheck
from tocsin.web.security import SecurityHeaders
from tocsin.web.templating import NavItem, make_templates, render, request_language

STATIC = Path(__file__).parent / "static"
RETRY_AFTER_SECONDS = 2
#: Seconds a login waits for its turn at the password check before answering 503.
LOGIN_WAIT_SECONDS = 30.0
#: Password checks (argon2) run at once per core.
PASSWORD_CHECKS_PER_CORE = 1

#: Router modules in ``tocsin/web/routers``; each may define ``pages``, ``api``, ``NAV`` and
#: ``lifespan`` (an async context manager run while the application runs, e.g. a job runner).
ROUTERS = ["auth", "home", "framework", "commitments", "programmes", "lessons", "partners",
           "events", "experts", "coherence", "investigations", "crypto", "cases", "safeguards",
           "screening", "search", "admin"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.secret()  # refuse to start with a missing or placeholder secret
    limits.configure(settings)
    app = FastAPI(
        title="Tocsin API",
        version=__version__,
        description="JSON API of the Tocsin platform. Every endpoint needs a signed-in "
        "session; state-changing requests need the `X-CSRF-Token` header.",
        openapi_url=None,  # served behind login by routers/auth.py
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = Database.from_settings(settings)
    # page requests share the pool's base connections; its overflow is left to jobs and checks
    app.state.database_slots = DatabaseSlots(settings.database_pool_size,
                                             settings.database_wait_seconds)
    # argon2 takes 0.3 s of CPU and 64 MiB per check: bounded so that a crowd signing in
    # cannot take every thread, hundreds of MiB or the CPU the pages of users already
    # signed in need (four per core made those pages shed more under a burst)
    app.state.password_checks = DatabaseSlots(PASSWORD_CHECKS_PER_CORE * (os.cpu_count() or 1),
                                              LOGIN_WAIT_SECONDS, "password checks")
    app.state.templates = make_templates()
    # sizes and the session are checked before any route reads (or spools) a body
    app.add_middleware(BodyGuard, max_bytes=lambda: settings.upload_max_bytes,
                       session_valid=session_checker(app))
    app.add_middleware(OriginCheck, settings=settings)  # inside SecurityHeaders: its 403 gets them
    app.add_middleware(SecurityHeaders)
    # added last, so outermost: it times and logs every request, errors included
    app.add_middleware(AccessLog, logger=make_logger(
        settings.access_log, settings.access_log_max_bytes, settings.access_log_backups))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    nav: list[NavItem] = []
    hooks: list[Lifespan] = []
    for name in ROUTERS:
        module = importlib.import_module(f"tocsin.web.routers.{name}")
        if hasattr(module, "pages"):
            app.include_router(module.pages)
        if hasattr(module, "api"):
            app.include_router(module.api, prefix="/api/v1")
        if hasattr(module, "NAV"):
            nav.append(module.NAV)
        if hasattr(module, "lifespan"):
            hooks.append(module.lifespan)
    app.state.nav = sorted(nav, key=lambda item: item.order)
    app.state.lifespans = hooks

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        with app.state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    _install_error_handlers(app)
    return app


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Enter every lifespan in ``app.state.lifespans`` in order; leave them in reverse."""
    await run_in_threadpool(_start_up, app)
    async with AsyncExitStack() as stack:
        for hook in getattr(app.state, "lifespans", []):
            await stack.enter_async_context(hook(app))
        yield


def _start_up(app: FastAPI) -> None:
    """Owner-only data folder; leftovers of imports a killed process left are removed."""
    settings: Settings = app.state.settings
    private_folder(settings.data_dir)
    try:
        clean_unfinished_imports(settings, app.state.db)
    except Exception:  # a database not initialised yet must not stop the server starting
        logging.getLogger("tocsin").exception("could not look for unfinished imports")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _said(exc: Exception) -> str:
    """What an error says, kept as the :class:`~tocsin.i18n.Message` it was raised with (so
    the page shows it in the reader's language), else its text."""
    said = exc.args[0] if len(exc.args) == 1 else None
    return said if isinstance(said, str) else str(exc)


def _error(request: Request, status: int, message: str,
           problems: list[dict[str, str]] | None = None) -> Response:
    if _wants_json(request):
        # ``detail`` and each problem's ``reason`` stay English (what API clients compare);
        # ``detail_shown`` and ``reason_shown`` are in the language of the page that asks,
        # what its script writes, as the HTML error pages do
        with i18n.using(request_language(request)):
            body: dict[str, Any] = {"detail": message, "detail_shown": str(message)}
            if problems:
                body["problems"] = [p | {"reason_shown": str(p["reason"])} for p in problems]
        return JSONResponse(body, status_code=status)
    # a single problem is the message itself: the page says it once (compared in English,
    # before either is translated)
    single = problems is not None and len(problems) == 1 and \
        message == f"{problems[0]['location']}: {problems[0]['reason']}"
    return render(request, "error.html", status_code=status, status=status, message=message,
                  problems=problems or [], single=single, back=_back(request))


def _back(request: Request) -> str | None:
    """The page of this platform the reader came from (the browser sends it within the
    site, ``Referrer-Policy: same-origin``), for the error page's "Back": a
    ``javascript:history.back()`` link is refused by the pages' CSP (``script-src
    'self'``) and did nothing. ``None`` when there is none."""
    referer = request.headers.get("referer", "")
    if not referer.startswith(str(request.base_url)) or referer == str(request.url):
        return None
    return referer


def _busy(request: Request) -> Response:
    response = _error(request, 503, N_("the server is busy; try again in a moment"))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401,
                                headers={"WWW-Authenticate": "Cookie"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return _error(request, 403, N_("the form has expired or did not come from Tocsin; "
                                        "reload the page and try again"))

    @app.exception_handler(DatabaseBusy)
    async def database_busy(request: Request, exc: DatabaseBusy) -> Response:
        logging.getLogger("tocsin").warning("%s %s answered 503: %s", request.method,
                                            request.url.path, exc)
        return _busy(request)

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(request: Request, exc: PoolTimeout) -> Response:
        logging.getLogger("tocsin").warning("%s %s answered 503: %s", request.method,
                                            request.url.path, exc)
        return _busy(request)

    @app.exception_handler(OperationalError)
    async def database_error(request: Request, exc: OperationalError) -> Response:
        if "database is locked" in str(exc.orig):  # SQLite's busy timeout ran out
            logging.getLogger("tocsin").warning("%s %s answered 503: the embedded database "
                                                "stayed locked", request.method, request.url.path)
            return _busy(request)
        logging.getLogger("tocsin").error("%s %s failed", request.method, request.url.path,
                                          exc_info=exc)
        return _error(request, 500, N_("the database could not answer; try again later"))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        await audit_denial(request, 404, exc)
        return _error(request, 404, _said(exc))

    @app.exception_handler(PermissionDenied)
    async def denied(request: Request, exc: PermissionDenied) -> Response:
        await audit_denial(request, 403, exc)
        return _error(request, 403, _said(exc))

    @app.exception_handler(AuthenticationError)
    async def auth_error(request: Request, exc: AuthenticationError) -> Response:
        return _error(request, 401, _said(exc))

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge) -> Response:
        problems = [{"location": p.location, "reason": p.reason} for p in exc.problems]
        return _error(request, 413, exc.summary, problems)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        problems = [{"location": p.location, "reason": p.reason} for p in exc.problems]
        return _error(request, 422, exc.summary, problems)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"location": ".".join(str(x) for x in e["loc"]), "reason": e["msg"]}
                    for e in exc.errors()]
        return _error(request, 422, N_("the request is not valid"), problems)

    @app.exception_handler(ValidationError)
    async def invalid_fields(request: Request, exc: ValidationError) -> Response:
        # A form's values checked by a spec model inside the route: the fields it names.
        problems = [{"location": ".".join(str(x) for x in e["loc"]) or "form",
                     "reason": e["msg"]} for e in exc.errors(include_url=False)]
        return _error(request, 422, N_("the form is not valid"), problems)
