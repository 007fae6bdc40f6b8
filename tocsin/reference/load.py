"""Load the registry into the database: insert, update, retire; idempotent.

``sync_reference`` compares every entry with what the database holds and only
writes differences, so a second run changes nothing. An entry that left the
files is deleted only when no row anywhere references it; otherwise it stays,
marked ``retired``, so user records never lose their target. Apart from the
``ref_*`` tables it only writes :class:`tocsin.access.tables.Unit` rows: one
per structure (kind ``structure``) and per partner organization (kind
``partner``), keyed by the same code, because units own records.

The caller owns the transaction (``with db.transaction() as session``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from tocsin.access.tables import Unit
from tocsin.reference.registry import Registry
from tocsin.reference.schema import CROSSWALK_CONFIDENCE, Entry
from tocsin.reference.tables import (
    RefCountry,
    RefCrimeArea,
    RefCrimeAreaCrosswalk,
    RefInstrument,
    RefInstrumentCrimeArea,
    RefMeta,
    RefOrganization,
    RefProvision,
    RefProvisionCrimeArea,
    RefProvisionStage,
    RefStage,
    RefStructure,
)
from tocsin.store.base import Base
from tocsin.store.migrate import import_all_tables


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    removed: int = 0


@dataclass
class SyncReport:
    """What one ``sync_reference`` run changed, per table."""

    version: str
    previous_version: str | None
    tables: dict[str, TableCounts] = field(default_factory=dict)
    units_created: int = 0
    units_updated: int = 0

    def counts(self) -> dict[str, int]:
        """Totals over all tables, e.g. ``{"inserted": 0, "updated": 1, …}``."""
        totals = {f.name: 0 for f in fields(TableCounts)}
        for counts in self.tables.values():
            for name in totals:
                totals[name] += getattr(counts, name)
        return {**totals, "units created": self.units_created, "units updated": self.units_updated}

    @property
    def changed(self) -> bool:
        counts = self.counts()
        return any(v for k, v in counts.items() if k != "unchanged")


def _provenance(entry: Entry) -> dict[str, Any]:
    return {
        "confidence": entry.confidence.value,
        "source": list(entry.source),
        "note": entry.note,
        "retired": False,
    }


def _rows(registry: Registry) -> dict[type[Base], list[dict[str, Any]]]:
    """The desired content of every main table, parents before children."""
    positions: dict[str, int] = {}

    def position(instrument: str) -> int:
        positions[instrument] = positions.get(instrument, 0) + 1
        return positions[instrument]

    return {
        RefCrimeArea: [
            {
                "code": a.code,
                "position": i + 1,
                "name": a.name,
                "definition": a.definition,
                "dac_sector": a.dac_sector,
                **_provenance(a),
            }
            for i, a in enumerate(registry.crime_areas)
        ],
        RefStage: [
            {
                "code": s.code,
                "position": s.order,
                "name": s.name,
                "definition": s.definition,
                "elements": [e.model_dump(mode="json") for e in s.elements],
                **_provenance(s),
            }
            for s in registry.stages
        ],
        RefStructure: _parents_first(
            [
                {
                    "code": s.code,
                    "name": s.name,
                    "kind": s.kind.value,
                    "acronym": s.acronym,
                    "parent_code": s.parent,
                    "location": s.location,
                    "region": s.region.value if s.region else "",
                    "description": s.description,
                    **_provenance(s),
                }
                for s in registry.structures
            ]
        ),
        RefCountry: [
            {
                "code": s.code,
                "alpha3": s.alpha3,
                "name": s.name,
                "status": s.status.value,
                "region": s.region.value,
                **_provenance(s),
            }
            for s in registry.states
        ],
        RefOrganization: [
            {
                "code": o.code,
                "name": o.name,
                "acronym": o.acronym,
                "kind": o.kind.value,
                "founded": o.founded,
                "seat": o.seat,
                "description": o.description,
                "historic": o.historic,
                **_provenance(o),
            }
            for o in registry.organizations
        ],
        RefInstrument: _parents_first(
            [
                {
                    "code": i.code,
                    "identifier": i.identifier,
                    "name": i.title,
                    "kind": i.kind.value,
                    "body": i.body,
                    "date": i.date,
                    "date_text": i.date_text,
                    "place": i.place,
                    "subject": i.subject,
                    "parent_code": i.parent,
                    **_provenance(i),
                }
                for i in registry.instruments
            ]
        ),
        RefProvision: [
            {
                "key": p.key,
                "instrument_code": p.instrument_code,
                "number": p.number,
                "position": position(p.instrument_code),
                "chapter": p.chapter,
                "name": p.name,
                **_provenance(p),
            }
            for p in registry.provisions
        ],
    }


def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_code = {r["code"]: r for r in rows}
    ordered: list[dict[str, Any]] = []
    done: set[str] = set()

    def visit(row: dict[str, Any]) -> None:
        if row["code"] in done:
            return
        done.add(row["code"])
        parent = by_code.get(row["parent_code"] or "")
        if parent is not None:
            visit(parent)
        ordered.append(row)

    for row in rows:
        visit(row)
    return ordered


def _links(registry: Registry) -> dict[type[Base], set[tuple[str, ...]]]:
    return {
        RefCrimeAreaCrosswalk: {
            (a.code, scheme, value)
            for a in registry.crime_areas
            for scheme, value in a.crosswalks.pairs()
        },
        RefInstrumentCrimeArea: {(i.code, c) for i in registry.instruments for c in i.crime_areas},
        RefProvisionCrimeArea: {(p.key, c) for p in registry.provisions for c in p.crime_areas},
        RefProvisionStage: {(p.key, s) for p in registry.provisions for s in p.stages},
    }


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _key_name(model: type[Base]) -> str:
    return str(_table(model).primary_key.columns.keys()[0])


def _upsert(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], counts: TableCounts
) -> set[str]:
    """Insert or update ``rows``; return the keys present in the table but not in ``rows``."""
    key = _key_name(model)
    existing = {getattr(o, key): o for o in session.scalars(select(model))}
    self_referencing = "parent_code" in _table(model).columns
    for row in rows:
        current = existing.get(row[key])
        if current is None:
            session.add(model(**row))
            counts.inserted += 1
        else:
            changed = [name for name, value in row.items() if getattr(current, name) != value]
            for name in changed:
                setattr(current, name, row[name])
            if changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        if self_referencing:
            session.flush()  # a child's parent must exist before the child is written
    session.flush()
    return set(existing) - {row[key] for row in rows}


def _sync_links(
    session: Session, model: type[Base], wanted: set[tuple[str, ...]], counts: TableCounts
) -> None:
    table = _table(model)
    key_columns = [c for c in table.primary_key.columns]
    have = {tuple(row) for row in session.execute(select(*key_columns))}
    for gone in have - wanted:
        session.execute(
            delete(table).where(*(c == v for c, v in zip(key_columns, gone, strict=True)))
        )
        counts.removed += 1
    extra: dict[str, Any] = {}
    for new in sorted(wanted - have):
        if model is RefCrimeAreaCrosswalk:
            extra = {"confidence": CROSSWALK_CONFIDENCE[new[1]].value}
        session.execute(
            table.insert().values(
                **{c.name: v for c, v in zip(key_columns, new, strict=True)}, **extra
            )
        )
        counts.inserted += 1
    counts.unchanged += len(have & wanted)
    session.flush()


def _references(table: Table) -> list[tuple[Table, Any]]:
    """Every ``(referencing table, column)`` whose foreign key points at ``table``."""
    found = []
    for other in import_all_tables().tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is table:
                found.append((other, fk.parent))
    return found


def _is_referenced(session: Session, refs: Iterable[tuple[Table, Any]], key: str) -> bool:
    return any(
        session.execute(select(column).where(column == key).limit(1)).first() is not None
        for _, column in refs
    )


def _remove_or_retire(
    session: Session, model: type[Base], vanished: set[str], counts: TableCounts
) -> None:
    """Delete what nothing references; retire the rest (repeat: children free parents)."""
    table = _table(model)
    key_column = table.primary_key.columns[_key_name(model)]
    refs = _references(table)
    pending = set(vanished)
    progress = True
    while pending and progress:
        progress = False
        for key in sorted(pending):
            if not _is_referenced(session, refs, key):
                session.execute(delete(table).where(key_column == key))
                session.flush()
                pending.discard(key)
                counts.removed += 1
                progress = True
    for key in sorted(pending):
        entry = session.get(model, key)
        if entry is not None and not entry.retired:  # type: ignore[attr-defined]
            entry.retired = True  # type: ignore[attr-defined]
            counts.retired += 1
        else:
            counts.unchanged += 1
    session.flush()


def _sync_meta(session: Session, registry: Registry, counts: TableCounts) -> str | None:
    wanted = {"version": registry.version, "compiled_on": registry.meta.compiled_on.isoformat()}
    existing = {m.key: m for m in session.scalars(select(RefMeta))}
    previous = existing["version"].value if "version" in existing else None
    for key, value in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(RefMeta(key=key, value=value))
            counts.inserted += 1
        elif row.value != value:
            row.value = value
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return previous


def _sync_units(session: Session, registry: Registry, report: SyncReport) -> None:
    wanted = [(s.code, s.name, "structure") for s in registry.structures] + [
        (o.code, o.name, "partner") for o in registry.organizations
    ]
    existing = {u.code: u for u in session.scalars(select(Unit))}
    for code, name, kind in wanted:
        unit = existing.get(code)
        if unit is None:
            session.add(Unit(code=code, name=name, kind=kind))
            report.units_created += 1
        elif (unit.name, unit.kind) != (name, kind):
            unit.name, unit.kind = name, kind
            report.units_updated += 1
    session.flush()


def sync_reference(session: Session, registry: Registry) -> SyncReport:
    """Make the ``ref_*`` tables (and the units of structures and partners) match ``registry``."""
    report = SyncReport(version=registry.version, previous_version=None)

    def counts(model: type[Base]) -> TableCounts:
        name = str(model.__tablename__)
        return report.tables.setdefault(name, TableCounts())

    vanished: dict[type[Base], set[str]] = {}
    for model, rows in _rows(registry).items():
        vanished[model] = _upsert(session, model, rows, counts(model))
    for model, wanted in _links(registry).items():
        _sync_links(session, model, wanted, counts(model))
    for model in reversed(list(vanished)):  # children (provisions) before what they point at
        _remove_or_retire(session, model, vanished[model], counts(model))
    report.previous_version = _sync_meta(session, registry, counts(RefMeta))
    _sync_units(session, registry, report)
    return report
