"""Import a filled activities table (CSV or Excel) and export any selection as one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, NamedTuple

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import require, unguarded_select
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, N_plural
from tocsin.taskforce.iati.exchange import selection_specs
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.bulk import ImportSummary, apply_specs
from tocsin.taskforce.programmes.check import check_activity
from tocsin.taskforce.programmes.records import FULL, UNIQUE_IDENTIFIERS, to_spec
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.columns import column_of, row_to_spec, spec_to_row
from tocsin.taskforce.tabular.files import (
    read_rows,
    table_format,
    write_csv,
    write_explanations_csv,
    write_xlsx,
)
from tocsin.types.base import is_digits


class Read(NamedTuple):
    """A table as read: every row as a spec, its location (``line N``), every problem
    found, and the version each row was exported from (``None``: none given)."""

    specs: list[ActivitySpec]
    locations: dict[str, str]
    problems: list[Problem]
    versions: dict[str, int | None]


def read_table(source: Path | IO[bytes], fmt: str, vocab: Vocabulary) -> Read:
    """Read and check every row of a filled table (nothing is written)."""
    specs: list[ActivitySpec] = []
    locations: dict[str, str] = {}
    problems: list[Problem] = []
    versions: dict[str, int | None] = {}
    for line, cells in read_rows(source, fmt):
        spec, errors = row_to_spec(cells, vocab.organizations)
        problems += [Problem(N_("line %(line)s, column %(column)s", line=line, column=column),
                             reason) for column, reason in errors]
        if spec is None:
            continue
        if spec.identifier in locations:
            problems.append(Problem(N_("line %(line)s, column %(column)s", line=line,
                                       column="identifier"),
                                    N_("%(identifier)s is already used on %(where)s",
                                       identifier=repr(spec.identifier),
                                       where=locations[spec.identifier])))
            continue
        if (text := cells.get("version", "").strip()) and _version(cells) is None:
            problems.append(Problem(N_("line %(line)s, column %(column)s", line=line,
                                       column="version"),
                                    N_("%(value)s is not a version the export wrote: leave the "
                                       "cell as exported, or empty",
                                       value=repr(text))))
        for issue in check_activity(spec, vocab):
            problems.append(Problem(N_("line %(line)s, column %(column)s", line=line,
                                       column=column_of(issue.field, spec)), issue.reason))
        specs.append(spec)
        locations[spec.identifier] = N_("line %(line)s", line=line)
        versions[spec.identifier] = _version(cells)
    if not specs and not problems:
        problems.append(Problem(N_("line %(line)s", line=2),
                                N_("the table has no activity rows")))
    return Read(specs, locations, problems, versions)


def _checked(source: Path | IO[bytes], label: str, vocab: Vocabulary) -> Read:
    """The table read, or :class:`~tocsin.errors.InputError` naming every bad cell."""
    read = read_table(source, table_format(label), vocab)
    if read.problems:
        raise InputError(read.problems, summary=N_plural(
            "%(count)s problem in %(source)s; nothing was applied",
            "%(count)s problems in %(source)s; nothing was applied", len(read.problems),
            count=len(read.problems), source=label))
    return read


def _version(cells: dict[str, str]) -> int | None:
    """The row's version, ``None`` when empty or not one (:func:`read_table` reports it)."""
    text = cells.get("version", "").strip()
    # at most 18 digits: int() refuses longer texts than 4,300, and no export writes them
    return int(text) if len(text) <= 18 and is_digits(text) else None


def _changed(session: Session, principal: Principal, read: Read) -> dict[int, str]:
    """``activity id -> identifier`` of what :func:`changed_since_written` names, no record
    loaded."""
    return {activity_id: identifier for identifier, (activity_id, version)
            in records.versions(session, principal, list(read.versions)).items()
            if read.versions[identifier] != version}


def changed_since_written(session: Session, principal: Principal, source: Path | IO[bytes],
                          *, name: str) -> list[Activity]:
    """The readable activities the table would replace that were written since the row
    naming them was exported (by the form, the API or another import), or that a row
    without a version names: what importing the table would lose. A version other than
    the stored one counts as changed, a higher one too (typed, or from another platform's
    export): only the stored version vouches for the row. Only those are loaded (and
    their read audited). A table with bad cells is refused first, naming every one
    (:class:`~tocsin.errors.InputError`): nothing to ask about."""
    require(principal, Action.WRITE_OWN_UNIT)  # as the import: a reader learns nothing here
    read = _checked(source, name, Vocabulary.load(session))
    return records.readable_activities(session, principal,
                                       list(_changed(session, principal, read)))


def _keep_results_and_documents(session: Session, specs: list[ActivitySpec]) -> None:
    """The table has no results or documents: an update keeps those already stored."""
    identifiers = [s.identifier for s in specs]
    stored: dict[str, Activity] = {}
    for start in range(0, len(identifiers), 500):
        chunk = identifiers[start:start + 500]
        # Copied into the specs only; the import then refuses records the user may not change.
        rows = session.scalars(unguarded_select(Activity, why=UNIQUE_IDENTIFIERS)
                               .where(Activity.identifier.in_(chunk)).options(*FULL))
        stored.update({a.identifier: a for a in rows})
    for spec in specs:
        if spec.identifier in stored:
            old = to_spec(stored[spec.identifier])
            spec.results, spec.documents = old.results, old.documents


def import_table(
    session: Session,
    principal: Principal,
    source: Path | IO[bytes],
    *,
    name: str = "",
    owner_unit_id: int | None = None,
    handling: str = Handling.GREEN.value,
    replace_changed: bool = False,
) -> ImportSummary:
    """Apply a filled template: every row, or - when any row is bad - none.

    Raises :class:`~tocsin.errors.InputError` naming the line and column of
    every bad cell, and - unless ``replace_changed`` - naming the activities
    changed in the platform since the table was exported
    (:func:`changed_since_written`), whose changes the import would lose.
    """
    require(principal, Action.WRITE_OWN_UNIT)  # before reading: a reader may not import
    label = name or (source.name if isinstance(source, Path) else N_("the table"))
    vocab = Vocabulary.load(session)
    read = _checked(source, label, vocab)
    if not replace_changed:
        # named by the identifiers the table gives, no record read: a refusal rolls back
        # what it would have audited
        changed = sorted(_changed(session, principal, read).values())
        if changed:
            raise InputError.single(label, N_plural(
                "the table would replace %(count)s activity changed in the platform since the "
                "table was exported, or named by a row without the version the export writes "
                "(%(identifiers)s); nothing was imported: export it again, or confirm that "
                "the table replaces it",
                "the table would replace %(count)s activities changed in the platform since "
                "the table was exported, or named by rows without the version the export "
                "writes (%(identifiers)s); nothing was imported: export them again, or "
                "confirm that the table replaces them", len(changed),
                count=len(changed),
                identifiers=", ".join(changed[:10] + ["…"] * (len(changed) > 10))))
    _keep_results_and_documents(session, read.specs)
    return apply_specs(session, principal, read.specs, read.locations, vocab=vocab,
                       owner_unit_id=owner_unit_id, handling=handling, source=label)


def export_table(session: Session, principal: Principal, target: IO[bytes], fmt: str,
                 ids: Sequence[int] | None = None, **filters: object) -> int:
    """Write the readable selection as CSV or Excel; returns how many rows."""
    specs = selection_specs(session, principal, ids, **filters)
    stored = records.versions(session, principal, [s.identifier for s in specs])
    rows = [{**spec_to_row(s), "version": str(stored.get(s.identifier, (0, 0))[1])}
            for s in specs]
    if fmt == "csv":
        write_csv(rows, target)
    else:
        write_xlsx(rows, target, Vocabulary.load(session))
    audit.record(session, principal, "export", Activity.record_type, "",
                 detail=f"{fmt} export of {len(rows)} activities")
    return len(rows)


def write_template(session: Session, target: IO[bytes], fmt: str,
                   explanations: IO[bytes] | None = None) -> None:
    """An empty table: the header row, and the explanation of every column.

    Excel gets the explanations as a second sheet; a CSV template writes them
    to ``explanations`` (a second CSV file) when given.
    """
    vocab = Vocabulary.load(session)
    if fmt == "csv":
        write_csv([], target)
        if explanations is not None:
            write_explanations_csv(vocab, explanations)
    else:
        write_xlsx([], target, vocab)
