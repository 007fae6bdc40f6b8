"""Denied requests go to the audit log: 403 answers, and 404 answers for a guarded
record asked for by id (whether it is missing or hidden from the caller).

The request's own transaction is rolled back with the error, so the entry is written
in a transaction of its own, in a worker thread (never on the event loop).
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.errors import NotFound, PermissionDenied, TocsinError
from tocsin.store.database import Database

log = logging.getLogger("tocsin.audit")


def _write(db: Database, actor: Principal, record_type: str, record_id: str,
           detail: str) -> None:
    with db.transaction() as session:
        audit.record(session, actor, "denied", record_type, record_id, detail=detail)


async def audit_denial(request: Request, status: int, exc: NotFound | PermissionDenied) -> None:
    """Record the denial if a signed-in user met it; never fail the error answer."""
    user_id = getattr(request.state, "user_id", None)
    user = getattr(request.state, "user", None)
    if user_id is None or user is None:
        return
    record_type = getattr(exc, "record_type", "")
    if isinstance(exc, NotFound) and not record_type:
        return  # not a guarded record (e.g. an unknown page or file)
    why = "hidden from the user" if getattr(exc, "hidden", False) else str(exc)
    detail = f"{status} {request.method} {request.url.path}: {why}"
    actor = Principal(user_id, user.username, Role.parse(user.role), None)
    try:
        await run_in_threadpool(_write, request.app.state.db, actor, record_type,
                                getattr(exc, "record_id", ""), detail)
    except (TocsinError, SQLAlchemyError, OSError):  # pragma: no cover - logged; answer still sent
        log.exception("could not audit a denied request")
