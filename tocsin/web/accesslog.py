"""The access log: one line per request, written by a pure ASGI middleware.

A line holds the time (UTC), the signed-in user's id (``-`` before sign-in), the method, the
path, the status and the duration::

    2026-12-04T04:41:07.512Z user=3 GET /programmes?page=2 200 12.4ms

Nothing secret and no search terms: cookies and headers are never read, and of the query
string only the parameters in :data:`KEPT_PARAMETERS` stay (paging and sorting), so a search,
a filter or a ``next=`` address never reaches the log. ``TOCSIN_ACCESS_LOG`` chooses where the
lines go: standard error (``-``, the default), a file rotated by size, or nowhere (``off``).
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Query parameters that say nothing about what a user looked for.
KEPT_PARAMETERS = frozenset({"page", "per_page", "limit", "offset", "sort", "order", "format",
                             "tab"})
#: ``request.state`` key under which the web layer leaves the signed-in user's id.
USER_ID = "user_id"


def make_logger(target: str, max_bytes: int, backups: int) -> logging.Logger | None:
    """A logger of its own (not in logging's global registry) writing to ``target``."""
    if target.strip().lower() in ("off", "none", "false", "0"):
        return None
    logger = logging.Logger("tocsin.access", logging.INFO)
    handler: logging.Handler
    if target.strip() in ("", "-"):
        handler = logging.StreamHandler(sys.stderr)
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                      encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


def shown_query(query: bytes) -> str:
    """The part of a query string that may be logged (``?page=2``), or ``""``."""
    if not query:
        return ""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k in KEPT_PARAMETERS]
    return "?" + urlencode(kept) if kept else ""


def line(at: float, user_id: object, method: str, path: str, status: int,
         seconds: float) -> str:
    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    user = user_id if isinstance(user_id, int) else "-"
    # a path is percent-encoded on the wire; a raw space or newline would break the line
    safe_path = path.replace("\n", "%0A").replace("\r", "%0D").replace(" ", "%20")
    return f"{stamp} user={user} {method} {safe_path} {status} {seconds * 1000:.1f}ms"


class AccessLog:
    """Pure ASGI middleware: one :func:`line` per HTTP request, after the response."""

    def __init__(self, app: ASGIApp, logger: logging.Logger | None) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.logger is None:
            await self.app(scope, receive, send)
            return
        started_at = time.time()
        started = time.perf_counter()
        state = scope.setdefault("state", {})  # shared with request.state further in
        status = 500  # what the server answers when the application fails before a response

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            path = scope.get("path", "") + shown_query(scope.get("query_string", b""))
            self.logger.info(line(started_at, state.get(USER_ID), scope.get("method", ""),
                                  path, status, time.perf_counter() - started))
