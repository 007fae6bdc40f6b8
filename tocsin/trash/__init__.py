"""Nothing lost by a click: deleted records go to a trash an administrator restores from.

:func:`discard` is what topic code calls instead of ``session.delete``: it keeps every
row the delete removes — the record and, following the foreign keys that point at it,
its child rows (finance, results, links to other records…) — in one
:class:`~tocsin.trash.tables.TrashItem`, then deletes. Rows that only *refer* to the
record with a foreign key that the delete sets to NULL (a lesson that names the
activity) are kept too, and :func:`restore` points them back.

:func:`restore` puts the rows back with their ids, all or nothing; :func:`purge` removes
items older than ``trash_retention_days`` for good. Delete, restore and purge are each
audited. The trash page and restore are for administrators.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, NotFound
from tocsin.i18n import N_
from tocsin.store.base import Base, utcnow
from tocsin.trash.tables import TrashItem

__all__ = ["TrashItem", "TrashView", "discard", "list_items", "purge", "restore"]

#: Tables never copied into the trash: the search index is rebuilt by its own hooks, the
#: audit log is never deleted, and the trash does not hold itself.
SKIPPED = frozenset({"audit_log", "trash_items"})
SKIPPED_PREFIXES = ("search_",)
#: Rows copied per deleted record at most: a delete that would take more is refused
#: with a clear message rather than kept half.
MAX_ROWS = 50_000


@dataclass(frozen=True)
class TrashView:
    """An item as the trash page shows it."""

    id: int
    record_type: str
    record_id: str
    title: str
    handling: str
    deleted_at: datetime
    deleted_by: str
    purge_on: date
    rows: int


# --------------------------------------------------------------------------- values

def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        tag, raw = next(iter(value.items()))
        if tag == "$datetime":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$decimal":
            return Decimal(raw)
        if tag == "$bytes":
            return base64.b64decode(raw)
    return value


# --------------------------------------------------------------------------- snapshot

def _tables() -> dict[str, Table]:
    return {t.name: t for t in Base.metadata.sorted_tables
            if t.name not in SKIPPED and not t.name.startswith(SKIPPED_PREFIXES)}


def _pk(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _snapshot(session: Session, table: Table, record_id: Any) -> list[list[Any]]:
    """The record's row and every row reaching it through foreign keys, parents first."""
    tables = _tables()
    pk = list(table.primary_key.columns)
    if len(pk) != 1:
        raise ValueError(f"{table.name} has no single-column primary key")
    found: list[tuple[Table, dict[str, Any]]] = []
    seen: set[tuple[str, tuple[Any, ...]]] = set()

    def visit(current: Table, column: str, values: set[Any]) -> None:
        values.discard(None)
        if not values:
            return
        new = []
        for row in session.execute(select(current).where(current.c[column].in_(values))):
            data = dict(row._mapping)
            key = (current.name, _pk(current, data))
            if key not in seen:
                seen.add(key)
                found.append((current, data))
                new.append(data)
        if len(found) > MAX_ROWS:
            raise InputError.single(table.name, N_("more than %(most)s rows would go to the "
                                                   "trash; delete the parts first",
                                                   most=MAX_ROWS))
        for child in tables.values():
            for fk in child.foreign_keys:
                if fk.column.table is current:
                    visit(child, fk.parent.name, {r[fk.column.name] for r in new})

    visit(table, pk[0].name, {record_id})
    return [[t.name, {k: _encode(v) for k, v in row.items()}] for t, row in found]


def discard(session: Session, principal: Principal, record: Any, *, title: str,
            handling: str, owner_unit_id: int | None, record_type: str | None = None,
            ) -> TrashItem:
    """Move ``record`` (an ORM object the caller may delete) to the trash and delete it.

    The caller has checked the right to delete and audited the delete; this keeps what
    the delete removes. Runs in the caller's transaction: a rollback keeps both.
    """
    table = cast(Table, type(record).__table__)
    record_type = record_type or getattr(record, "record_type", table.name)
    session.flush()
    rows = _snapshot(session, table, record.id)
    item = TrashItem(record_type=record_type, record_id=str(record.id), title=title[:500],
                     handling=handling, owner_unit_id=owner_unit_id,
                     deleted_by=principal.username, rows=rows)
    session.add(item)
    session.delete(record)
    session.flush()
    return item


# --------------------------------------------------------------------------- the trash

def _as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def list_items(session: Session, principal: Principal, retention_days: int) -> list[TrashView]:
    """Every item in the trash, newest first (administrators only)."""
    require(principal, Action.ADMINISTER)
    items = session.scalars(select(TrashItem).order_by(TrashItem.deleted_at.desc(),
                                                       TrashItem.id.desc()))
    return [TrashView(i.id, i.record_type, i.record_id, i.title, i.handling, i.deleted_at,
                      i.deleted_by,
                      (_as_aware(i.deleted_at) + timedelta(days=retention_days)).date(),
                      len(i.rows)) for i in items]


def restore(session: Session, principal: Principal, item_id: int) -> TrashItem:
    """Put an item's rows back with their ids, all or nothing, and audit the restore."""
    require(principal, Action.ADMINISTER)
    item = session.get(TrashItem, item_id) if -(2**63) <= item_id < 2**63 else None
    if item is None:
        raise NotFound.of('trash item', item_id)
    tables = Base.metadata.tables
    ids: dict[str, dict[Any, Any]] = {}  # table → old id → new id, for ids taken meanwhile
    try:
        with session.begin_nested():
            for index, (name, encoded) in enumerate(item.rows):
                table = tables[name]
                row = {k: _decode(v) for k, v in encoded.items() if k in table.c}
                for column in table.columns:  # follow parents that came back with a new id
                    for fk in column.foreign_keys:
                        moved = ids.get(fk.column.table.name, {})
                        if row.get(column.name) in moved:
                            row[column.name] = moved[row[column.name]]
                key = and_(*(c == row[c.name] for c in table.primary_key.columns))
                current = session.execute(select(table).where(key)).first()
                if current is None:
                    session.execute(insert(table).values(**row))
                elif index and _same_record(table, current._mapping, row):
                    # still there: a row the delete pointed away from the record; point it back
                    back = {c.name: row[c.name] for c in table.columns if c.foreign_keys
                            and current._mapping[c.name] is None and row[c.name] is not None}
                    if back:
                        session.execute(update(table).where(key).values(**back))
                else:
                    _insert_with_new_id(session, table, row, ids)
    except IntegrityError as exc:
        raise InputError.single(
            f"{item.record_type} {item.title!r}",
            "it cannot be restored: a record it belongs to or links to is gone, or its "
            "code is now used by another record") from exc
    new_id = ids.get(item.rows[0][0], {}).get(item.rows[0][1].get("id"))
    if new_id is not None:
        item.record_id = str(new_id)
    audit.record(session, principal, "restore", item.record_type, item.record_id,
                 item.handling, detail=f"restored from the trash: {item.title}")
    session.delete(item)
    session.flush()
    _expire_restored(session, item.rows)
    return item


def _same_record(table: Table, current: Any, row: dict[str, Any]) -> bool:
    """Whether a row found under a kept id is the kept record itself (its creation time
    matches), not another record that was given the freed id since."""
    if "created_at" not in table.c:
        return True
    found, kept = current["created_at"], row["created_at"]
    if found is None or kept is None:
        return found == kept
    return bool(_as_aware(found) == _as_aware(kept))


def _insert_with_new_id(session: Session, table: Table, row: dict[str, Any],
                        ids: dict[str, dict[Any, Any]]) -> None:
    """Insert a row whose id another record took meanwhile (SQLite reuses the highest
    freed id) under a new id, and remember it for the rows that point to it."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or not isinstance(pk[0].type, Integer):
        raise IntegrityError("restore", {}, Exception(f"{table.name}: key taken"))
    old = row.pop(pk[0].name)
    new = session.execute(insert(table).values(**row).returning(pk[0])).scalar_one()
    ids.setdefault(table.name, {})[old] = new


def _expire_restored(session: Session, rows: Sequence[list[Any]]) -> None:
    # rows written with Core: objects of these tables loaded earlier are stale
    names = {name for name, _ in rows}
    for obj in list(session.identity_map.values()):
        table = getattr(type(obj), "__table__", None)
        if table is not None and table.name in names:
            session.expire(obj)


def purge(session: Session, principal: Principal, retention_days: int,
          now: datetime | None = None) -> int:
    """Remove for good the items older than ``retention_days``; each purge is audited."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    expired = session.scalars(select(TrashItem).where(TrashItem.deleted_at < cutoff)).all()
    for item in expired:
        audit.record(session, principal, "purge", item.record_type, item.record_id,
                     item.handling, detail=f"purged from the trash after {retention_days} "
                     f"days: {item.title}")
    if expired:
        session.execute(delete(TrashItem).where(TrashItem.id.in_([i.id for i in expired])))
        session.flush()
    return len(expired)
