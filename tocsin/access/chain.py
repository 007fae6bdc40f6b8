"""The audit log's hash chain: appending rows and verifying the whole log.

Every audit row holds ``prev_hash`` (the ``row_hash`` of the row before it) and
``row_hash``, an HMAC-SHA256 under the audit key over its content and ``prev_hash``.
A row that is altered no longer matches its HMAC; a row that is deleted breaks the
link of the row after it; a row inserted by hand cannot carry a valid HMAC without
the key. One row, ``audit_chain_head``, records the last position and hash with an
HMAC of its own, so rows cut off the end of the log are noticed too.

Appending locks the head row with ``UPDATE … RETURNING`` (a row lock on PostgreSQL,
the database's write lock on SQLite), so concurrent writers chain one after another
and the sequence has no gaps: a rolled-back transaction also rolls back its move of
the head.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, update

from tocsin.access.tables import AuditChainHead, AuditEntry
from tocsin.errors import TocsinError
from tocsin.i18n import N_

GENESIS = "0" * 64
HEAD_ID = 1
#: The columns an HMAC covers, in this order (with ``seq`` and ``prev_hash``).
CONTENT = ("at", "user_id", "username", "action", "record_type", "record_id", "handling",
           "detail")

_log = cast(Table, AuditEntry.__table__)
_head = cast(Table, AuditChainHead.__table__)


class ChainError(TocsinError):
    """The audit chain cannot be appended to (its head row is missing)."""


def _moment(value: datetime) -> str:
    # SQLite hands timestamps back without a zone; they are stored in UTC.
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_mac(key: bytes, seq: int, prev_hash: str, row: Mapping[str, Any]) -> str:
    """The HMAC of one audit row: its position, content and the previous row's hash."""
    values: list[Any] = [seq, prev_hash]
    for name in CONTENT:
        value = row[name]
        values.append(_moment(value) if isinstance(value, datetime) else value)
    message = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, last_hash: str) -> str:
    return hmac.new(key, f"head:{seq}:{last_hash}".encode(), hashlib.sha256).hexdigest()


def append(conn: Connection, key: bytes, entries: Sequence[Mapping[str, Any]]) -> None:
    """Chain and insert ``entries`` (dicts of the :data:`CONTENT` columns) in ``conn``'s
    transaction. The head stays locked until that transaction ends."""
    if not entries:
        return
    moved = conn.execute(
        update(_head).where(_head.c.id == HEAD_ID)
        .values(seq=_head.c.seq + len(entries))
        .returning(_head.c.seq, _head.c.last_hash)
    ).first()
    if moved is None:
        raise ChainError("the audit chain head is missing; run `tocsin audit verify`")
    seq = moved.seq - len(entries)
    prev = moved.last_hash
    rows: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        row = {name: entry[name] for name in CONTENT}
        row_hash = row_mac(key, seq, prev, row)
        rows.append({**row, "seq": seq, "prev_hash": prev, "row_hash": row_hash})
        prev = row_hash
    conn.execute(_log.insert(), rows)
    conn.execute(update(_head).where(_head.c.id == HEAD_ID)
                 .values(last_hash=prev, mac=head_mac(key, seq, prev)))


def entry(*, user_id: int | None, username: str, action: str, record_type: str = "",
          record_id: object = "", handling: str = "", detail: str = "",
          at: datetime | None = None) -> dict[str, Any]:
    """One row's content, as :func:`append` takes it."""
    return {"at": at or datetime.now(UTC), "user_id": user_id, "username": username[:80],
            "action": action[:20], "record_type": record_type[:60],
            "record_id": str(record_id)[:80], "handling": handling[:12],
            "detail": detail[:4000]}


# --- verification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One thing wrong with the log: what, and which rows."""

    kind: str  # altered, deleted, forged, head
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class Verification:
    rows: int = 0  # chained rows checked
    unchained: int = 0  # rows written before the chain existed
    head_seq: int = 0
    head_hash: str = GENESIS
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _chained(conn: Connection) -> Iterator[Any]:
    result = conn.execution_options(yield_per=2000).execute(
        select(_log).where(_log.c.seq.is_not(None)).order_by(_log.c.seq))
    yield from result


def verify(conn: Connection, key: bytes, limit: int = 1000) -> Verification:
    """Check every row of the audit log and the chain head; at most ``limit`` findings."""
    report = Verification()

    def found(kind: str, message: str) -> None:
        if len(report.findings) < limit:
            report.findings.append(Finding(kind, message))

    head = conn.execute(select(_head).where(_head.c.id == HEAD_ID)).first()
    if head is None:
        found("head", N_("the chain head row is missing"))
    else:
        report.head_seq, report.head_hash = head.seq, head.last_hash
        genesis = head.seq == 0 and head.last_hash == GENESIS and head.mac is None
        if not genesis and not hmac.compare_digest(head.mac or "",
                                                   head_mac(key, head.seq, head.last_hash)):
            found("head", N_("the chain head (position %(position)s) does not carry a valid "
                             "HMAC: it was altered, or the audit key differs from the one that "
                             "wrote it", position=head.seq))

    first_chained_id = conn.execute(
        select(func.min(_log.c.id)).where(_log.c.seq.is_not(None))).scalar()
    for row in conn.execute(select(_log.c.id).where(_log.c.seq.is_(None)).order_by(_log.c.id)):
        if first_chained_id is not None and row.id > first_chained_id:
            found("forged", N_("row id %(id)s has no place in the chain: it was inserted "
                               "outside the platform", id=row.id))
        else:
            report.unchained += 1

    expected, prev, last_hash = 1, GENESIS, GENESIS
    for row in _chained(conn):
        report.rows += 1
        if row.seq > expected:
            gap = f"{expected}" if row.seq == expected + 1 else f"{expected}-{row.seq - 1}"
            found("deleted", N_("rows at position %(gap)s are missing (deleted)", gap=gap))
        elif row.prev_hash != prev:
            found("deleted", N_("row %(position)s (id %(id)s) does not follow row "
                                "%(previous)s: a row between them was deleted or replaced",
                                position=row.seq, id=row.id, previous=row.seq - 1))
        if not hmac.compare_digest(row.row_hash or "",
                                   row_mac(key, row.seq, row.prev_hash or "", row._mapping)):
            found("altered", N_("row %(position)s (id %(id)s, %(action)s by %(user)s) does not "
                                "match its HMAC: it was altered or forged", position=row.seq,
                                id=row.id, action=row.action, user=repr(row.username)))
        if head is not None and row.seq > head.seq:
            found("forged", N_("row %(position)s (id %(id)s) lies beyond the chain head "
                               "(%(head)s): it was inserted outside the platform",
                               position=row.seq, id=row.id, head=head.seq))
        expected, prev, last_hash = row.seq + 1, row.row_hash or "", row.row_hash or ""
    if head is not None:
        if expected - 1 < head.seq:
            gap = f"{expected}" if head.seq == expected else f"{expected}-{head.seq}"
            found("deleted", N_("rows at position %(gap)s were cut off the end of the log",
                                gap=gap))
        elif expected - 1 == head.seq and last_hash != head.last_hash:
            found("altered", N_("the last row (%(position)s) is not the one the chain head "
                                "recorded: it was replaced", position=head.seq))
    return report
