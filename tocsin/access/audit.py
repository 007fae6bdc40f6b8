"""The append-only, hash-chained audit log: writing entries and querying them.

:func:`record` queues an entry on the caller's session; the entries are chained and
inserted when that session commits (so they land exactly when the change does, and the
chain head stays locked only for the commit itself), or earlier when the same session
queries the audit log. A rolled-back session writes none.
Outside demo mode no entry is written without an audit key (``TOCSIN_AUDIT_KEY`` or
``TOCSIN_SECRET_KEY``): the commit fails instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from tocsin.access import chain
from tocsin.access.handling import Handling
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry

AUDITED_ACTIONS = ("create", "update", "delete", "read", "export", "login", "logout",
                   "login_failed", "login_throttled", "denied", "password_change",
                   "user_admin", "backup", "restore")
#: ``session.info`` keys: the audit key given by the database handle, and the queue.
KEY = "audit_key"
_PENDING = "audit_pending"


def session_key(session: Session) -> bytes:
    """The audit key of this session's database handle, else of the process settings."""
    key = session.info.get(KEY)
    if isinstance(key, bytes):
        return key
    from tocsin.settings import Settings

    return Settings().audit_hmac_key()  # raises ConfigurationError when there is none


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if not session.info.get(_PENDING):
        return
    # Every other change first: the head is locked last, so a transaction holding it
    # waits for nothing but its own commit and no lock cycle can form through it.
    session.flush()
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    chain.append(session.connection(), session_key(session), pending)


@event.listens_for(Session, "do_orm_execute")
def _flush_before_audit_query(state: ORMExecuteState) -> None:
    """A query of the audit log sees the entries its own transaction queued."""
    # A walk of the statement's tree (subqueries included), not ``get_final_froms``, which
    # compiles the statement anew on every query of a session that audited a read: that
    # cost a few per cent of a busy server's CPU.
    statement = state.statement
    if (state.is_select and state.session.info.get(_PENDING)
            and isinstance(statement, ClauseElement)
            and AuditEntry.__table__ in find_tables(statement, include_joins=True,
                                                    include_aliases=True)):
        _write_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or not
        session.info.pop(_PENDING, None)


def record(
    session: Session,
    principal: Principal,
    action: str,
    record_type: str = "",
    record_id: object = "",
    handling: str = "",
    detail: str = "",
) -> None:
    """Add one entry in the caller's transaction, so it lands exactly when the change does."""
    session.info.setdefault(_PENDING, []).append(chain.entry(
        user_id=principal.user_id, username=principal.username, action=action,
        record_type=record_type, record_id=record_id, handling=handling, detail=detail))


def pending(session: Session) -> list[dict[str, Any]]:
    """Entries queued on ``session`` and not yet committed (for tests and previews)."""
    return list(session.info.get(_PENDING, []))


def record_reads(session: Session, principal: Principal, records: Iterable[Any],
                 action: str = "read") -> None:
    """Audit the reads of every record above GREEN among ``records``."""
    for item in records:
        if Handling(item.handling).audited_on_read:
            record(session, principal, action, item.record_type, item.id, item.handling)


def query(
    session: Session,
    since: datetime | None = None,
    username: str | None = None,
    record: str | None = None,
    limit: int = 500,
) -> Sequence[AuditEntry]:
    """Newest first. ``record`` is ``type`` or ``type:id``."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    if record:
        kind, _, ident = record.partition(":")
        stmt = stmt.where(AuditEntry.record_type == kind)
        if ident:
            stmt = stmt.where(AuditEntry.record_id == ident)
    return session.scalars(stmt).all()
