"""The append-only audit log: writing entries and querying them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.handling import Handling
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry

AUDITED_ACTIONS = ("create", "update", "delete", "read", "export", "login", "logout",
                   "login_failed", "password_change", "user_admin", "backup", "restore")


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
    session.add(
        AuditEntry(
            user_id=principal.user_id,
            username=principal.username,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            handling=handling,
            detail=detail[:4000],
        )
    )


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
