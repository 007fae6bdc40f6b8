"""Import an IATI file into the platform and export any selection as one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import list_readable, require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.taskforce.iati.codes import DEFAULT_ORG_REF
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.iati.writer import write_activities
from tocsin.taskforce.programmes.bulk import ImportSummary, apply_specs
from tocsin.taskforce.programmes.records import FULL, activities_query, parent_identifiers, to_spec
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary


def import_iati(
    session: Session,
    principal: Principal,
    source: Path | IO[bytes],
    *,
    owner_unit_id: int | None = None,
    handling: str = Handling.GREEN.value,
    own_org_ref: str = DEFAULT_ORG_REF,
    name: str = "",
) -> ImportSummary:
    """Read, check and apply an ``iati-activities`` file: all of it or, on any problem, none.

    Raises :class:`~tocsin.errors.InputError` listing every bad element by XPath.
    Activities reported by an organisation other than ``own_org_ref`` are marked
    as partners' (external) activities.
    """
    require(principal, Action.WRITE_OWN_UNIT)  # before reading: a reader may not import
    vocab = Vocabulary.load(session)
    read = read_activities(source, vocab, own_org_ref=own_org_ref)
    label = name or (source.name if isinstance(source, Path) else "the IATI file")
    return apply_specs(
        session, principal, read.activities, read.locations, vocab=vocab,
        problems=read.problems, notes=read.notes, children=read.children,
        owner_unit_id=owner_unit_id, handling=handling, source=label,
    )


def selection_specs(session: Session, principal: Principal,
                    ids: Sequence[int] | None = None, **filters: object) -> list[ActivitySpec]:
    """The readable activities (all, the given ids, or those matching ``filters``) as specs.

    Exports count as reads of what they contain: each record above GREEN is
    written to the audit log with the action ``export``.
    """
    require(principal, Action.EXPORT)
    stmt = activities_query(principal, ids=ids, **filters).options(*FULL)  # type: ignore[arg-type]
    rows = list_readable(session, stmt, principal, action="export")
    parents = parent_identifiers(session, rows, principal)
    vocab_units = Vocabulary.load(session).units
    unit_codes = {ident: code for code, ident in vocab_units.items()}
    return [to_spec(row, parents.get(row.id), unit_codes) for row in rows]


def export_iati(session: Session, principal: Principal, target: Path | IO[bytes],
                ids: Sequence[int] | None = None, **filters: object) -> int:
    """Write the selection as an IATI 2.03 file; returns how many activities it holds."""
    specs = selection_specs(session, principal, ids, **filters)
    count = write_activities(specs, target, Vocabulary.load(session))
    audit.record(session, principal, "export", Activity.record_type, "",
                 detail=f"IATI export of {count} activities")
    return count
