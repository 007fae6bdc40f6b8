"""Self-monitoring for the data-protection officer: who consulted or disclosed which
personal data, when and why, and which users read unusually much.

Reads the append-only, hash-chained audit log (:mod:`tocsin.access.audit`); opening the
oversight page is itself logged.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.access.tables import AuditEntry
from tocsin.safeguards.config import rules
from tocsin.safeguards.records import PERSON

#: Actions on personal data the log keeps for the Directive: consultation, disclosure,
#: erasure, and reads of cases (which hold persons).
PERSONAL = ("consult", "disclose", "erase")


@dataclass(frozen=True)
class Volume:
    username: str
    consultations: int
    disclosures: int
    case_reads: int
    unusual: bool
    why: str


@dataclass(frozen=True)
class Overview:
    since: datetime
    entries: list[AuditEntry]
    volumes: list[Volume]
    median: float


def overview(session: Session, principal: Principal, *, username: str = "",
             now: datetime | None = None, limit: int = 500) -> Overview:
    """The log of personal data within the rules' window and the volume per user."""
    require(principal, Action.OVERSEE)
    rule = rules().oversight
    since = (now or datetime.now(UTC)) - timedelta(days=rule.window_days)
    audit.record(session, principal, "read", "audit_log", "", detail="data-protection "
                 f"oversight{f' of {username}' if username else ''}")
    personal = (AuditEntry.record_type == PERSON) & AuditEntry.action.in_(PERSONAL)
    disclosures = (AuditEntry.record_type == "case") & (AuditEntry.action == "disclose")
    stmt = select(AuditEntry).where(AuditEntry.at >= since, personal | disclosures)
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    entries = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
    counts: dict[str, Counter[str]] = {}
    rows = session.execute(
        select(AuditEntry.username, AuditEntry.action, AuditEntry.record_type, func.count())
        .where(AuditEntry.at >= since, AuditEntry.record_type.in_((PERSON, "case")),
               AuditEntry.action.in_(("consult", "disclose", "read")))
        .group_by(AuditEntry.username, AuditEntry.action, AuditEntry.record_type))
    for user, action, kind, count in rows:
        key = {("consult", PERSON): "consult", ("disclose", PERSON): "disclose",
               ("read", "case"): "read"}.get((action, kind))
        if key:
            counts.setdefault(user, Counter())[key] += count
    consulting = [c["consult"] + c["read"] for c in counts.values() if c["consult"] + c["read"]]
    median = float(statistics.median(consulting)) if consulting else 0.0
    volumes = []
    for user, c in sorted(counts.items()):
        total = c["consult"] + c["read"]
        unusual = total >= rule.minimum and total > rule.factor * median
        why = (f"{total} consultations and case reads in {rule.window_days} days, more than "
               f"{rule.factor:g} times the median of {median:g}") if unusual else ""
        volumes.append(Volume(user, c["consult"], c["disclose"], c["read"], unusual, why))
    volumes.sort(key=lambda v: (not v.unusual, -(v.consultations + v.case_reads)))
    return Overview(since, entries, volumes, median)
