"""Versions of the coherence analysis's inputs, bumped by every write to them.

The analysis reads the portfolio (programmes, activities, finance, agreements,
commitments), threat indicators and group profiles, pair judgements, lessons
and the workspace's settings (OCG weights, reference data, units). Every ORM
flush and every ORM ``INSERT``/``UPDATE``/``DELETE`` statement that touches one
of their tables changes the input's version in the same transaction, so a
cached analysis (:mod:`tocsin.coherence.cache`) is never served after its
inputs changed, whichever library, command or page wrote them. Each change
gets a new random token: a rolled-back change leaves the old token in place.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from tocsin.coherence.tables import InputVersion
from tocsin.store.base import utcnow

INPUTS = ("portfolio", "indicators", "judgements", "lessons", "settings")
_LESSONS = ("tf_lesson", "tf_after_action_reviews", "tf_remedial_actions")
_INDICATORS = ("coh_threat_indicators", "coh_ocg_profiles")


def input_of(table: str) -> str | None:
    """Which input a table belongs to (None when the analysis does not read it)."""
    if table.startswith(_LESSONS):
        return "lessons"
    if table.startswith("tf_") or table == "sg_activity_markers":
        return "portfolio"
    if table in _INDICATORS:
        return "indicators"
    if table == "coh_pair_judgements":
        return "judgements"
    if table.startswith("ref_") or table in ("coh_ocg_weights", "units"):
        return "settings"
    return None


def read(session: Session) -> dict[str, str]:
    """The current token of every input (one small query)."""
    return {name: token for name, token in session.execute(
        select(InputVersion.name, InputVersion.token))}


def bump(session: Session, names: Iterable[str]) -> None:
    """Give the inputs a new version in the session's transaction."""
    wanted = sorted(set(names))
    if not wanted:
        return
    table: Any = InputVersion.__table__
    dialect = session.get_bind().dialect.name
    insert: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.info["coherence_changed"] = True
    for name in wanted:
        stmt = insert(table).values(name=name, version=1, token=uuid.uuid4().hex,
                                    changed_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"version": table.c.version + 1, "token": stmt.excluded.token,
                  "changed_at": stmt.excluded.changed_at})
        session.execute(stmt, execution_options={"coherence_versions": True})


def _tables_of(objects: Iterable[Any]) -> set[str]:
    names = set()
    for obj in objects:
        table = getattr(obj, "__tablename__", None)
        if table:
            names.add(table)
    return names


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    touched = _tables_of(session.new) | _tables_of(session.dirty) | _tables_of(session.deleted)
    changed = {i for t in touched if (i := input_of(t)) is not None}
    if changed and _has_table(session):
        bump(session, changed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _on_end(session: Session) -> None:
    session.info.pop("coherence_changed", None)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.execution_options.get("coherence_versions"):
        return
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    changed = input_of(name) if name else None
    if changed and _has_table(state.session):
        bump(state.session, [changed])


_READY: weakref.WeakSet[Any] = weakref.WeakSet()


def _has_table(session: Session) -> bool:
    """Whether the database has the versions table (not before its migration ran)."""
    bind = session.get_bind()
    engine: Any = getattr(bind, "engine", bind)
    if engine in _READY:
        return True
    from sqlalchemy import inspect

    with engine.connect() as conn:
        found = inspect(conn).has_table(InputVersion.__tablename__)
    if found:
        _READY.add(engine)
    return found
