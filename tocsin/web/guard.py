"""The request body guard: size limits and the session check before a body is read.

An ASGI middleware in front of every route:

* a body declared larger than the upload limit (``Content-Length``) is answered 413
  before a byte of it is read;
* a body sent without a length (chunked) is counted as it streams in and the request
  is answered 413 as soon as it passes the limit, so no parser ever sees (or spools
  to disk) more than the limit;
* a multipart upload without a valid session is answered 401 (or redirected to the
  login page) before the multipart parser runs, so an unauthenticated client cannot
  make the server write its file to a temporary folder.

The limit is the upload limit plus room for the form's other fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Room for the other fields of a multipart form and its boundaries.
FORM_OVERHEAD = 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(Exception):
    """Raised from ``receive`` once the body passed the limit."""


class BodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int],
                 session_valid: Callable[[str | None], bool],
                 session_cookie: str = "tocsin_session") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.session_valid = session_valid
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.max_bytes() + FORM_OVERHEAD
        declared = headers.get("content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await PlainTextResponse("bad Content-Length", 400)(scope, receive, send)
                return
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
        if headers.get("content-type", "").startswith("multipart/form-data"):
            token = _cookie(headers, self.session_cookie)
            if not await anyio.to_thread.run_sync(self.session_valid, token):
                await _login_required(scope)(scope, receive, send)
                return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to the broken body is replaced by the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            exceeded = True
        if exceeded and not started:
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"the request body is larger than the limit of {limit:,} bytes"
        response: Response
        if scope["path"].startswith("/api/"):
            response = JSONResponse({"detail": message}, status_code=413)
        else:
            response = PlainTextResponse(message, status_code=413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _cookie(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    # the parser Starlette uses for ``request.cookies``, so both see the same session
    return cookie_parser(raw).get(name) if raw else None


def _login_required(scope: Scope) -> Response:
    if scope["path"].startswith("/api/"):
        return JSONResponse({"detail": "sign in first"}, status_code=401,
                            headers={"WWW-Authenticate": "Cookie", "Connection": "close"})
    return RedirectResponse(f"/login?next={scope['path']}", status_code=303,
                            headers={"Connection": "close"})


def session_checker(app: Any) -> Callable[[str | None], bool]:
    """Whether a session token belongs to an active, unexpired session (a short read)."""
    from tocsin.access import login

    def valid(token: str | None) -> bool:
        if not token:
            return False
        with app.state.db.transaction() as session:
            return login.resolve(session, token,
                                 app.state.settings.session_idle_minutes) is not None

    return valid
