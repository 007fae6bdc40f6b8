"""Apply a whole file of activities at once: everything is checked first, then
everything is written in the caller's transaction, or nothing is.

Used by the IATI and the CSV/Excel importers. An activity whose identifier
already exists is replaced (when the caller may change it); a new one is
created. Parents are resolved inside the file first, then in the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import may_read, may_write, require, unguarded_select
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, N_plural
from tocsin.taskforce.programmes import rows
from tocsin.taskforce.programmes.check import check_hierarchy
from tocsin.taskforce.programmes.records import UNIQUE_IDENTIFIERS, resolve_owner_unit
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary

CHUNK = 500  # identifiers per IN (...) query, well under every backend's limit


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    #: Things left out without making the file wrong (a parent outside the file …).
    notes: list[Problem] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated


def apply_specs(
    session: Session,
    principal: Principal,
    specs: Sequence[ActivitySpec],
    locations: Mapping[str, str],
    *,
    vocab: Vocabulary,
    problems: Sequence[Problem] = (),
    notes: Sequence[Problem] = (),
    children: Mapping[str, Sequence[str]] | None = None,
    owner_unit_id: int | None = None,
    handling: str = Handling.GREEN.value,
    source: str = "",
) -> ImportSummary:
    """Check the file-level rules, then write every activity or raise :class:`InputError`.

    ``problems`` are those a reader already found; they are reported together
    with the ones found here. ``children`` holds parent → child identifiers a
    file states from the parent's side (IATI ``related-activity`` type 2).
    """
    require(principal, Action.WRITE_OWN_UNIT)
    found = list(problems)
    summary = ImportSummary(notes=list(notes))
    by_identifier = {s.identifier: s for s in specs}

    def where(spec: ActivitySpec, what: str = "") -> str:
        found = locations.get(spec.identifier, spec.identifier)
        return found + what if what else found  # a location message stays translatable

    existing = _existing(session, list(by_identifier))
    units: dict[str, int] = {}
    for spec in specs:
        old = existing.get(spec.identifier)
        if old is not None and not may_read(old, principal):
            found.append(Problem(where(spec), N_(
                "identifier %(identifier)s is already used by a record you cannot see",
                identifier=repr(spec.identifier))))
            continue
        if old is not None and not may_write(principal, old.owner_unit_id):
            found.append(Problem(where(spec), N_(
                "activity %(identifier)s exists and belongs to a unit whose records you may "
                "not change", identifier=repr(spec.identifier))))
            continue
        default = owner_unit_id if old is None or spec.owner_unit else old.owner_unit_id
        unit = resolve_owner_unit(spec, principal, vocab, default=default)
        if unit is None:
            found.append(Problem(where(spec), N_("no owning unit: name one for the import")))
        elif not may_write(principal, unit):
            found.append(Problem(where(spec), N_(
                "you may not add records to the owning unit %(unit)s",
                unit=vocab.unit_code(unit) or unit)))
        else:
            units[spec.identifier] = unit

    # parents named from the child's side win; the parent's side fills the gaps
    parents: dict[str, str] = {
        s.identifier: s.parent_identifier for s in specs if s.parent_identifier
    }
    for parent, kids in (children or {}).items():
        for kid in kids:
            if kid in by_identifier and kid not in parents:
                parents[kid] = parent
            elif kid in by_identifier and parents[kid] != parent:
                found.append(Problem(where(by_identifier[kid]), N_(
                    "%(parent)s lists it as a child but it names %(named)s as its parent",
                    parent=repr(parent), named=repr(parents[kid]))))
    outside = _existing(session, [p for p in set(parents.values()) if p not in by_identifier])
    for identifier, parent in list(parents.items()):
        spec = by_identifier[identifier]
        parent_level: str
        if parent in by_identifier:
            parent_level = by_identifier[parent].level
        elif parent in outside and may_read(outside[parent], principal):
            parent_level = outside[parent].level
        else:
            summary.notes.append(Problem(where(spec), N_(
                "parent %(parent)s is neither in the file nor in the platform; kept without "
                "parent", parent=repr(parent))))
            del parents[identifier]
            continue
        reason = check_hierarchy(spec.level, parent_level)
        if reason:
            found.append(Problem(where(spec), N_("%(reason)s (%(record)s)", reason=reason,
                                                 record=repr(parent))))
    found += _orphaned_children(session, principal, existing, by_identifier)
    if found:
        raise InputError(found, summary=N_plural(
            "%(count)s problem in %(source)s; nothing was applied",
            "%(count)s problems in %(source)s; nothing was applied", len(found),
            count=len(found), source=source or N_("the input")))

    # Bulk statements from here on: the ORM copies of existing rows are stale after.
    session.flush()
    handlings = {s.identifier: s.handling or (existing[s.identifier].handling
                                              if s.identifier in existing else handling)
                 for s in specs}
    replaced = [(s, existing[s.identifier].id, units[s.identifier], handlings[s.identifier])
                for s in specs if s.identifier in existing]
    created = [(s, units[s.identifier], handlings[s.identifier])
               for s in specs if s.identifier not in existing]
    rows.replace_activities(session, replaced)
    ids = {**{k: v.id for k, v in outside.items()}, **{k: v.id for k, v in existing.items()},
           **rows.insert_activities(session, created)}
    # a new row was inserted without a parent: only the others need one set or cleared
    rows.set_parents(session, {ids[s.identifier]: ids[parents[s.identifier]]
                               if s.identifier in parents else None for s in specs
                               if s.identifier in parents or s.identifier in existing})
    for old in existing.values():
        session.expire(old)
    summary.created, summary.updated = len(created), len(replaced)
    for spec in specs:
        action = "update" if spec.identifier in existing else "create"
        audit.record(session, principal, action, Activity.record_type, ids[spec.identifier],
                     handlings[spec.identifier], detail=f"import {source}".strip())
        summary.ids.append(ids[spec.identifier])
    return summary


def _existing(session: Session, identifiers: Sequence[str]) -> dict[str, Activity]:
    found: dict[str, Activity] = {}
    for start in range(0, len(identifiers), CHUNK):
        chunk = identifiers[start:start + CHUNK]
        for row in session.scalars(unguarded_select(Activity, why=UNIQUE_IDENTIFIERS)
                                   .where(Activity.identifier.in_(chunk))):
            found[row.identifier] = row
    return found


def _orphaned_children(session: Session, principal: Principal,
                       existing: Mapping[str, Activity],
                       by_identifier: Mapping[str, ActivitySpec]) -> list[Problem]:
    """Records outside the file whose parent the file moves to a level they cannot sit under."""
    if not existing:
        return []
    changed = {row.id: by_identifier[ident] for ident, row in existing.items()
               if row.level != by_identifier[ident].level}
    problems = []
    if changed:
        children = unguarded_select(
            Activity, why="a level change must fit every child, readable or not")
        for child in session.scalars(children.where(Activity.parent_id.in_(changed))):
            if child.identifier in by_identifier or child.parent_id is None:
                continue
            spec = changed[child.parent_id]
            reason = check_hierarchy(child.level, spec.level)
            if reason:
                # a child the importer may not read is not named
                name = (N_("its child %(identifier)s", identifier=repr(child.identifier))
                        if may_read(child, principal) else N_("a child record"))
                problems.append(Problem(spec.identifier, N_(
                    "%(reason)s: %(record)s is not in the file and would no longer fit",
                    reason=reason, record=name)))
    return problems
