"""Write many activities with bulk statements (a few per table per chunk).

The single-record functions in :mod:`.records` go through the ORM; an import of
thousands of activities writes through here instead: one multi-row INSERT per
table and chunk instead of one unit-of-work object per row, which keeps
imports fast and their memory flat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from tocsin.store.base import utcnow
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.programmes.tables import (
    Activity,
    ActivityCountry,
    ActivityCrimeArea,
    ActivityRegion,
    ActivityStage,
    Document,
    Finance,
    Indicator,
    IndicatorPeriod,
    Participant,
    Result,
)

CHUNK = 500


def _t(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def activity_values(spec: ActivitySpec) -> dict[str, Any]:
    """The ``tf_activities`` columns a spec sets (not placement, not the parent)."""
    return {
        "identifier": spec.identifier,
        "level": spec.level,
        "title": spec.title,
        "description": spec.description,
        "implementing_structure": spec.implementing_structure,
        "status": spec.status,
        "planned_start": spec.planned_start,
        "actual_start": spec.actual_start,
        "planned_end": spec.planned_end,
        "actual_end": spec.actual_end,
        "reporting_org_ref": spec.reporting_org_ref,
        "reporting_org_name": spec.reporting_org_name,
        "reporting_org_type": spec.reporting_org_type,
        "is_external": spec.is_external,
        "language": spec.language,
        "default_currency": spec.default_currency,
    }


def insert_activities(session: Session, items: Sequence[tuple[ActivitySpec, int, str]]
                      ) -> dict[str, int]:
    """Insert new activities ``(spec, owner unit id, handling)`` with all their rows.

    Returns identifier → new id. Parents are set afterwards by :func:`set_parents`.
    """
    ids: dict[str, int] = {}
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        values = [{**activity_values(spec), "owner_unit_id": unit, "handling": handling,
                   "parent_id": None} for spec, unit, handling in chunk]
        new_ids = insert_ids(session, _t(Activity), values, ("identifier",), "identifier")
        pairs = [(spec, ident) for (spec, _, _), ident in zip(chunk, new_ids, strict=True)]
        ids.update({spec.identifier: ident for spec, ident in pairs})
        insert_dependents(session, pairs)
        insert_documents(session, pairs)
    return ids


def replace_activities(session: Session, items: Sequence[tuple[ActivitySpec, int, int, str]]
                       ) -> None:
    """Overwrite existing activities ``(spec, id, owner unit id, handling)`` in place.

    Dependent rows are replaced; documents keep their ids position by position,
    because commitment assessments cite them as evidence.
    """
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        ids = [ident for _, ident, _, _ in chunk]
        for model in (Finance, ActivityCountry, ActivityRegion, ActivityCrimeArea,
                      ActivityStage, Participant, Result):
            table = _t(model)
            session.execute(delete(table).where(table.c.activity_id.in_(ids)))
        table = _t(Activity)
        session.execute(
            update(table).where(table.c.id == bindparam("row_id")),
            [{**activity_values(spec), "row_id": ident, "owner_unit_id": unit,
              "handling": handling, "updated_at": utcnow()}
             for spec, ident, unit, handling in chunk],
        )
        pairs = [(spec, ident) for spec, ident, _, _ in chunk]
        insert_dependents(session, pairs)
        _replace_documents(session, pairs)


def set_parents(session: Session, parents: Mapping[int, int | None]) -> None:
    """Set ``parent_id`` for the given activity ids."""
    rows = [{"row_id": ident, "parent_id": parent} for ident, parent in parents.items()]
    table = _t(Activity)
    for start in range(0, len(rows), CHUNK):
        session.execute(update(table).where(table.c.id == bindparam("row_id")),
                        rows[start:start + CHUNK])


def _many(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    insert_many(session, _t(model), rows)


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
                extra: Mapping[str, Sequence[Any]] | None = None) -> None:
    """``INSERT`` many rows in one ``executemany`` of the driver, in the session's transaction.

    The same rows as ``session.execute(insert(table), rows)``: each value goes through
    its column type's bind processor and the columns a row leaves out get their
    defaults, but without SQLAlchemy's per-row compilation of parameters, which
    cost more than the database's own work on imports of thousands of rows.
    Every row must name the same columns. ``extra``: more columns, one value per row
    (a parent's id), so that the caller need not copy every row to add them.
    """
    if not rows:
        return
    connection = session.connection()
    given = tuple(rows[0])
    added = tuple(extra or {})
    statement = _statement(table, given, added, connection.dialect)
    # column by column: the loops over rows run in C (zip, map), the bind processors
    # only where a type has one
    count = len(rows)
    pick = itemgetter(*given)
    columns: list[Sequence[Any]] = (list(zip(*map(pick, rows), strict=True)) if len(given) > 1
                                    else [[row[given[0]] for row in rows]])
    for name in added:
        values = (extra or {})[name]
        if len(values) != count:
            raise ValueError(f"column {name}: {len(values)} values for {count} rows")
        columns.append(values)
    for column in statement.missing:
        default: Any = column.default
        if default.is_callable:
            columns.append([default.arg(None) for _ in range(count)])
        else:
            columns.append([default.arg] * count)
    for i, process in enumerate(statement.processors):
        if process is None:
            continue
        if i in statement.dates and set(map(type, columns[i])) == _ONLY_DATES:
            # a column of plain dates (no None): the text date_text gives, without a
            # Python call per value
            columns[i] = list(map(date.isoformat, columns[i]))
        else:
            columns[i] = list(map(process, columns[i]))
    params: list[Any]
    if statement.order is not None:
        params = list(zip(*(columns[i] for i in statement.order), strict=True))
    else:
        params = [dict(zip(statement.names, values, strict=True))
                  for values in zip(*columns, strict=True)]
    connection.exec_driver_sql(statement.sql, params)


_ONLY_DATES = {date}


@dataclass(frozen=True, slots=True)
class _Insert:
    """What :func:`insert_many` needs of one table and set of columns, made once."""

    names: tuple[str, ...]
    missing: tuple[Column[Any], ...]
    processors: tuple[Any, ...]
    #: positions of the SQLite dates, whose processor writes ``date.isoformat``
    dates: frozenset[int]
    sql: str
    #: the columns in the order of a positional statement's parameters (``None``: named)
    order: tuple[int, ...] | None


@lru_cache(maxsize=512)
def _statement(table: Table, given: tuple[str, ...], added: tuple[str, ...],
               dialect: Any) -> _Insert:
    """The ``INSERT`` of ``table`` for these columns, compiled once per dialect: an import
    writes each table in every batch, and compiling cost more than binding the rows."""
    if set(added) & set(given):
        raise ValueError(f"columns given twice: {sorted(set(added) & set(given))}")
    missing = tuple(c for c in table.columns if c.name not in given and c.name not in added
                    and c.default is not None and not c.primary_key)
    names = given + added + tuple(c.name for c in missing)
    types = [table.c[name].type for name in names]
    dates = frozenset(i for i, t in enumerate(types) if _plain_sqlite_date(t, dialect))
    processors = tuple(_bind_processor(t, dialect, i in dates) for i, t in enumerate(types))
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    order = (tuple(names.index(key) for key in compiled.positiontup or [])
             if compiled.positional else None)
    return _Insert(names, missing, processors, dates, str(compiled), order)


#: SQLite's storage of a ``Date`` (its dialect's default), which ``date.isoformat`` writes.
_SQLITE_DATE = "%(year)04d-%(month)02d-%(day)02d"


def _bind_processor(column_type: Any, dialect: Any, plain_date: bool) -> Any:
    """The column type's bind processor; for SQLite dates (``plain_date``, see
    :func:`_plain_sqlite_date`), one that gives the same text faster.

    SQLite stores a date as the text its dialect formats with a ``%`` over a dict per
    value; an import binds tens of dates per activity, and ``date.isoformat`` writes the
    same ``YYYY-MM-DD`` for a plain date (anything else goes to the dialect's own).
    """
    process = column_type._cached_bind_processor(dialect)
    if process is None or not plain_date:
        return process
    plain = date

    def date_text(value: Any) -> Any:
        return value.isoformat() if type(value) is plain else process(value)
    return date_text


def _plain_sqlite_date(column_type: Any, dialect: Any) -> bool:
    """Whether the column is a date SQLite stores as ``YYYY-MM-DD`` (``date.isoformat``)."""
    impl = column_type.dialect_impl(dialect)
    return (dialect.name == "sqlite" and isinstance(impl, sqlite.DATE)
            and getattr(impl, "_storage_format", None) == _SQLITE_DATE
            and getattr(impl, "_reg", None) is None)


def insert_ids(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
               key: tuple[str, ...], by: str) -> list[int]:
    """:func:`insert_many`, then the new ids in the order of ``rows``.

    ``key`` names columns that tell the new rows apart (an identifier; a parent id
    and a position) and ``by`` the one to find the rows just written by. One ``SELECT``
    per chunk instead of ``INSERT … RETURNING``, whose rows SQLAlchemy prepares one by one.
    """
    insert_many(session, table, rows)
    wanted = [tuple(row[name] for name in key) for row in rows]
    found: dict[tuple[Any, ...], int] = {}
    columns = [table.c[name] for name in key]
    values = sorted({row[by] for row in rows})
    for start in range(0, len(values), CHUNK):
        for ident, *found_key in session.execute(
                select(table.c.id, *columns).where(table.c[by].in_(values[start:start + CHUNK]))):
            found[tuple(found_key)] = ident
    return [found[k] for k in wanted]


def insert_dependents(session: Session, pairs: Iterable[tuple[ActivitySpec, int]]) -> None:
    """Finance, shares, partners and results (with indicators and periods) of new rows."""
    finance, countries, regions, areas, stages, participants = [], [], [], [], [], []
    results: list[dict[str, Any]] = []
    result_specs = []
    for spec, ident in pairs:
        finance += [{"activity_id": ident, "year": f.year, "kind": f.kind, "amount": f.amount,
                     "currency": f.currency} for f in spec.finance]
        countries += [{"activity_id": ident, "country_code": s.code, "percentage": s.percentage,
                       "position": i} for i, s in enumerate(spec.countries)]
        regions += [{"activity_id": ident, "vocabulary": s.vocabulary, "code": s.code,
                     "percentage": s.percentage, "position": i}
                    for i, s in enumerate(spec.regions)]
        areas += [{"activity_id": ident, "crime_area_code": s.code, "percentage": s.percentage,
                   "position": i} for i, s in enumerate(spec.crime_areas)]
        stages += [{"activity_id": ident, "stage_code": s.code, "percentage": s.percentage,
                    "position": i} for i, s in enumerate(spec.stages)]
        participants += [{"activity_id": ident, "position": i, "role": p.role,
                          "organization_code": p.organization_code, "name": p.name,
                          "org_ref": p.org_ref, "org_type": p.org_type}
                         for i, p in enumerate(spec.participants)]
        for i, r in enumerate(spec.results):
            results.append({"activity_id": ident, "position": i, "type": r.type,
                            "title": r.title, "description": r.description,
                            "aggregation_status": r.aggregation_status})
            result_specs.append(r)
    _many(session, Finance, finance)
    _many(session, ActivityCountry, countries)
    _many(session, ActivityRegion, regions)
    _many(session, ActivityCrimeArea, areas)
    _many(session, ActivityStage, stages)
    _many(session, Participant, participants)
    if not results:
        return
    result_ids = insert_ids(session, _t(Result), results, ("activity_id", "position"),
                            "activity_id")
    indicators: list[dict[str, Any]] = []
    indicator_specs = []
    for result_id, r in zip(result_ids, result_specs, strict=True):
        for j, ind in enumerate(r.indicators):
            indicators.append({"result_id": result_id, "position": j, "measure": ind.measure,
                               "ascending": ind.ascending, "title": ind.title,
                               "description": ind.description,
                               "baseline_year": ind.baseline_year,
                               "baseline_value": ind.baseline_value})
            indicator_specs.append(ind)
    if not indicators:
        return
    indicator_ids = insert_ids(session, _t(Indicator), indicators, ("result_id", "position"),
                               "result_id")
    _many(session, IndicatorPeriod, [
        {"indicator_id": indicator_id, "position": k, "period_start": p.start,
         "period_end": p.end, "target_value": p.target, "actual_value": p.actual}
        for indicator_id, ind in zip(indicator_ids, indicator_specs, strict=True)
        for k, p in enumerate(ind.periods)
    ])


def _document_values(spec: ActivitySpec, ident: int) -> list[dict[str, Any]]:
    return [{"activity_id": ident, "position": i, "title": d.title, "url": d.url,
             "stored_path": d.stored_path, "original_name": d.original_name,
             "mime_type": d.mime_type, "category": d.category, "language": d.language,
             "document_date": d.document_date} for i, d in enumerate(spec.documents)]


def insert_documents(session: Session, pairs: Iterable[tuple[ActivitySpec, int]]) -> None:
    _many(session, Document, [row for spec, ident in pairs
                              for row in _document_values(spec, ident)])


def _replace_documents(session: Session, pairs: Sequence[tuple[ActivitySpec, int]]) -> None:
    by_activity: dict[int, list[int]] = {}
    rows = session.execute(select(Document.activity_id, Document.id)
                           .where(Document.activity_id.in_([i for _, i in pairs]))
                           .order_by(Document.activity_id, Document.position, Document.id))
    for activity_id, doc_id in rows:
        by_activity.setdefault(activity_id, []).append(doc_id)
    updates, inserts, gone = [], [], []
    for spec, ident in pairs:
        old = by_activity.get(ident, [])
        new = _document_values(spec, ident)
        updates += [{**values, "row_id": doc_id} for doc_id, values in zip(old, new,
                                                                              strict=False)]
        inserts += new[len(old):]
        gone += old[len(new):]
    table = _t(Document)
    if gone:
        session.execute(delete(table).where(table.c.id.in_(gone)))
    if updates:
        session.execute(update(table).where(table.c.id == bindparam("row_id")), updates)
    _many(session, Document, inserts)
