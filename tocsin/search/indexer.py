"""Keeping the index current: full reindex, per-record updates, and the ORM hooks.

Topic code never calls the index. :func:`install` listens to every
:class:`~sqlalchemy.orm.Session`: each flush notes the registered records that
were added, changed or deleted (and the records a changed child row belongs
to), and :func:`sync_pending` rewrites their documents before the transaction
commits (and before a search in it), in the same transaction, so a rollback
rolls the index back too. Rows written with bulk Core statements on a
provider's ``watch_tables`` mark the whole record type for reindexing before
the transaction commits; other bulk statements bypass the hooks, and
``tocsin search reindex`` repairs the index after them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Delete,
    Insert,
    Table,
    Update,
    bindparam,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from tocsin.search import labels
from tocsin.search.registry import Provider, SearchDoc, clean_text, providers
from tocsin.search.tables import SearchDocument, SearchEmbedding, SearchFacet
from tocsin.store.base import utcnow

log = logging.getLogger(__name__)

DOCS = cast(Table, SearchDocument.__table__)
FACETS = cast(Table, SearchFacet.__table__)
EMBEDDINGS = cast(Table, SearchEmbedding.__table__)
_STALE_TYPES = "search_stale_types"
_SUSPENDED = "search_suspended"
_REFERENCE_CHANGED = "search_reference_changed"
_PENDING = "search_pending"


@dataclass(frozen=True)
class ReindexReport:
    documents: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.documents.values())


# --- writing documents ------------------------------------------------------------------

#: Columns compared to decide whether a stored document is already current.
_COMPARED = ("title", "body", "handling", "owner_unit_id", "year", "url", "parent", "tags")


def write_documents(session: Session, docs: Sequence[SearchDoc]) -> int:
    """Insert or update ``docs`` (matched on record type and id); returns how many.

    A stored document that is already current is left alone (no write, so no
    work for the full-text triggers); facet rows are rewritten only when the
    facet tokens changed, embeddings dropped only when the text changed.
    """
    if not docs:
        return 0
    connection = session.connection()
    now = utcnow()
    existing: dict[tuple[str, str], Any] = {}
    by_type: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        by_type[doc.record_type].append(doc.record_id)
    for record_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            rows = connection.execute(
                select(DOCS.c.id, DOCS.c.record_id, *(DOCS.c[name] for name in _COMPARED))
                .where(DOCS.c.record_type == record_type,
                       DOCS.c.record_id.in_(ids[start:start + 500]))
            )
            for row in rows:
                existing[(record_type, row.record_id)] = row

    fresh: list[dict[str, Any]] = []
    fresh_docs: list[SearchDoc] = []
    updates: list[dict[str, Any]] = []
    facet_rows: list[dict[str, Any]] = []
    refaceted: list[int] = []
    text_changed: list[int] = []
    for doc in docs:
        values = _row(doc, now)
        found = existing.get((doc.record_type, doc.record_id))
        if found is None:
            fresh.append(values)
            fresh_docs.append(doc)
            continue
        if all(getattr(found, name) == values[name] for name in _COMPARED):
            continue
        updates.append({**values, "doc_id": found.id})
        if (found.title, found.body) != (values["title"], values["body"]):
            text_changed.append(found.id)
        if found.tags != values["tags"]:
            refaceted.append(found.id)
            facet_rows.extend({"document_id": found.id, "facet": f, "value": v}
                              for f, v in doc.facet_rows())
    if updates:
        connection.execute(update(DOCS).where(DOCS.c.id == bindparam("doc_id")), updates)
    for start in range(0, len(refaceted), 500):
        chunk = refaceted[start:start + 500]
        connection.execute(delete(FACETS).where(FACETS.c.document_id.in_(chunk)))
    for start in range(0, len(text_changed), 500):
        chunk = text_changed[start:start + 500]
        connection.execute(delete(EMBEDDINGS).where(EMBEDDINGS.c.document_id.in_(chunk)))
    if fresh:
        result = connection.execute(
            insert(DOCS).returning(DOCS.c.id, sort_by_parameter_order=True), fresh
        )
        for (doc_id,), doc in zip(result.all(), fresh_docs, strict=True):
            facet_rows.extend({"document_id": doc_id, "facet": f, "value": v}
                              for f, v in doc.facet_rows())
    if facet_rows:
        connection.execute(insert(FACETS), facet_rows)
    return len(docs)


def _row(doc: SearchDoc, now: Any) -> dict[str, Any]:
    return {
        "record_type": doc.record_type,
        "record_id": doc.record_id,
        "title": clean_text(doc.title, 500) or f"{doc.record_type} {doc.record_id}",
        "body": clean_text(doc.body),
        "handling": doc.handling,
        "owner_unit_id": doc.owner_unit_id,
        "year": doc.year,
        "url": doc.url[:500],
        "parent": doc.parent,
        "tags": doc.tags(),
        "updated_at": now,
    }


def delete_documents(session: Session, record_type: str, record_ids: Iterable[str]) -> None:
    ids = list(record_ids)
    connection = session.connection()
    for start in range(0, len(ids), 500):
        connection.execute(delete(DOCS).where(DOCS.c.record_type == record_type,
                                              DOCS.c.record_id.in_(ids[start:start + 500])))


# --- records ----------------------------------------------------------------------------

def _provider_for(record: Any) -> Provider | None:
    for item in providers():
        if isinstance(record, item.model):
            return item
    return None


def index_record(session: Session, record: Any) -> bool:
    """Write the document of one record now; ``False`` if no provider handles its type."""
    item = _provider_for(record)
    if item is None:
        return False
    doc = item.document(record)
    if doc is None:
        delete_documents(session, item.record_type, [item.key(record)])
    else:
        write_documents(session, [doc])
    return True


def remove_record(session: Session, record: Any) -> bool:
    """Remove the document of one record; ``False`` if no provider handles its type."""
    item = _provider_for(record)
    if item is None:
        return False
    delete_documents(session, item.record_type, [item.key(record)])
    return True


def refresh(session: Session, record_type: str, keys: Iterable[str]) -> None:
    """Rebuild the documents of the given records from the database (gone ones are removed)."""
    item = next(p for p in providers() if p.record_type == record_type)
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), item.batch_size):
        chunk = wanted[start:start + item.batch_size]
        records = item.load(session, chunk)
        docs = [d for d in item.documents(records) if d is not None]
        write_documents(session, docs)
        kept = {d.record_id for d in docs}
        delete_documents(session, record_type, [k for k in chunk if k not in kept])


def reindex(session: Session, record_types: Iterable[str] | None = None) -> ReindexReport:
    """Rebuild the whole index (or the given record types) from the records."""
    wanted = set(record_types) if record_types is not None else None
    counts: dict[str, int] = {}
    sync_pending(session)
    with suspended(session):
        for item in providers():
            if wanted is not None and item.record_type not in wanted:
                continue
            seen: list[str] = []
            for records in item.batches(session):
                docs = [d for d in item.documents(records) if d is not None]
                write_documents(session, docs)
                seen.extend(d.record_id for d in docs)
            _delete_others(session, item.record_type, set(seen))
            counts[item.record_type] = len(seen)
    return ReindexReport(counts)


def _delete_others(session: Session, record_type: str, keep: set[str]) -> None:
    connection = session.connection()
    present = connection.execute(
        select(DOCS.c.record_id).where(DOCS.c.record_type == record_type)
    ).scalars()
    delete_documents(session, record_type, [r for r in present if r not in keep])


@contextmanager
def suspended(session: Session) -> Iterator[None]:
    """Switch the ORM hooks off for one session (a full reindex writes everything anyway)."""
    session.flush()
    session.info[_SUSPENDED] = session.info.get(_SUSPENDED, 0) + 1
    try:
        yield
    finally:
        session.info[_SUSPENDED] -= 1


# --- ORM hooks --------------------------------------------------------------------------

def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Note which documents a flush touched; :func:`sync_pending` rewrites them.

    Nothing is written here: an importer that flushes once per record would
    otherwise rewrite the index once per record, and loading records during a
    flush would put second copies of just-inserted rows into the identity map.
    """
    if any(labels.touches_reference(getattr(obj, "__tablename__", None))
           for obj in (*session.new, *session.dirty, *session.deleted)):
        _reference_changed(session)
    if session.info.get(_SUSPENDED):
        return
    items = providers()
    touched: dict[str, set[str]] = defaultdict(set)
    for obj in (*session.new, *session.dirty, *session.deleted):
        for item in items:
            if isinstance(obj, item.model):
                touched[item.record_type].add(item.key(obj))
            _collect_affected(session, item, obj, touched)
    if touched:
        pending: dict[str, set[str]] = session.info.setdefault(_PENDING, defaultdict(set))
        for record_type, keys in touched.items():
            pending[record_type] |= keys


def sync_pending(session: Session) -> None:
    """Flush, then rewrite the documents of every record touched since the last call.

    Runs before each commit and at the start of every search, so a search sees
    the writes of its own transaction. Each document is rebuilt from the
    database as it is now: a record that is gone loses its document.
    """
    session.flush()
    pending: dict[str, set[str]] | None = session.info.pop(_PENDING, None)
    for record_type, keys in (pending or {}).items():
        refresh(session, record_type, keys)


def _collect_affected(session: Session, item: Provider, obj: Any,
                      changed: dict[str, set[str]]) -> None:
    for cls, affects in item.affected_by.items():
        if isinstance(obj, cls):
            changed[item.record_type].update(str(k) for k in affects(session, obj)
                                             if k is not None)


def _on_execute(state: ORMExecuteState) -> None:
    """Bulk writes to a provider's watched tables mark its record type stale."""
    statement = state.statement
    if not isinstance(statement, Insert | Update | Delete):
        return
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if labels.touches_reference(name):
        _reference_changed(state.session)
    if name is None or state.session.info.get(_SUSPENDED):
        return
    for item in providers():
        if name in item.watch_tables:
            state.session.info.setdefault(_STALE_TYPES, set()).add(item.record_type)


def _before_commit(session: Session) -> None:
    sync_pending(session)
    stale: set[str] = session.info.pop(_STALE_TYPES, set())
    if stale:
        reindex(session, stale)


def _reference_changed(session: Session) -> None:
    """Facet names may have changed: drop them now, and again if the change is rolled back."""
    labels.forget()
    session.info[_REFERENCE_CHANGED] = True


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_STALE_TYPES, None)
    session.info.pop(_PENDING, None)
    if session.info.pop(_REFERENCE_CHANGED, False):
        labels.forget()


def _after_commit(session: Session) -> None:
    session.info.pop(_REFERENCE_CHANGED, None)


_installed = False


def install() -> None:
    """Listen to every session (idempotent). Called when :mod:`tocsin.search` is imported."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _forget)
    event.listen(Session, "after_commit", _after_commit)
    _installed = True
