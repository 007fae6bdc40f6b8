"""Import an IATI file into the platform and export any selection as one."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import islice
from pathlib import Path
from typing import IO, Any, Literal

from lxml import etree
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import (
    list_readable,
    may_read,
    may_write,
    require,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, Problem, TocsinError, reason_of
from tocsin.i18n import N_, Joined, Message, N_plural, Number
from tocsin.taskforce.iati import answers, codes
from tocsin.taskforce.iati.codes import DEFAULT_ORG_REF
from tocsin.taskforce.iati.reader import IatiParts, ReadResult, fewer_collections, iter_batches
from tocsin.taskforce.iati.rules import check_element
from tocsin.taskforce.iati.schema import safe_parser, schema_errors, schema_message
from tocsin.taskforce.iati.tables import (
    IatiBudget,
    IatiRecipient,
    IatiRecord,
    IatiSector,
    IatiTransaction,
)
from tocsin.taskforce.iati.writer import Published, _canonical, _groups, write_activities
from tocsin.taskforce.programmes.bulk import ImportSummary, _existing, apply_specs
from tocsin.taskforce.programmes.check import check_hierarchy
from tocsin.taskforce.programmes.records import FULL, activities_query, parent_identifiers, to_spec
from tocsin.taskforce.programmes.rows import insert_many, set_parents
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary

Mode = Literal["all", "each"]
CHUNK = 500
#: How often an activity-by-activity import drops the activities the file-level
#: checks refuse (a parent at the wrong level …) and tries again.
RETRIES = 5


@dataclass(frozen=True)
class ElementChanges:
    """How the elements of one name (or one ``@attribute``) differ between an activity's
    published copy held and the newer one (:func:`element_changes`)."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    #: Found unchanged in both copies, but at another place among the elements of its name.
    moved: int = 0
    #: At most one such element in either copy (a title, an attribute): the report says
    #: "title changed", not "1 title element changed".
    single: bool = False

    def counts(self) -> dict[str, int]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed,
                "moved": self.moved}


@dataclass
class IatiImport(ImportSummary):
    """What an IATI import did, for the report."""

    version: str = ""
    #: Activities left out (activity-by-activity mode): XPath and reason.
    rejected: list[Problem] = field(default_factory=list)
    #: identifier → names of the elements that changed since the last import.
    changed: dict[str, list[str]] = field(default_factory=dict)
    #: identifier → element name → how many of those were added, removed, changed or moved
    #: (the names of :attr:`changed`, in the same order).
    changes: dict[str, dict[str, ElementChanges]] = field(default_factory=dict)
    #: Re-imported activities identical to what the platform holds.
    unchanged: int = 0
    #: Element name → count of elements kept only as published XML.
    preserved: dict[str, int] = field(default_factory=dict)
    #: IATI ruleset findings on the incoming file.
    warnings: list[Problem] = field(default_factory=list)
    #: Activities read from the file, imported or refused (none: the file itself was not
    #: read, its version not known).
    read: int = 0


def import_iati(
    session: Session,
    principal: Principal,
    source: Path | IO[bytes],
    *,
    owner_unit_id: int | None = None,
    handling: str = Handling.GREEN.value,
    own_org_ref: str = DEFAULT_ORG_REF,
    name: str = "",
    mode: Mode = "all",
) -> IatiImport:
    """Read, check and apply an ``iati-activities`` file (2.01, 2.02 or 2.03).

    ``mode="all"``: all of it or, on any problem, none (raises
    :class:`~tocsin.errors.InputError` listing every bad element by XPath).
    ``mode="each"``: the valid activities go in, the broken ones are listed in
    :attr:`IatiImport.rejected` with their XPath and reason. An activity whose
    identifier the platform already holds is updated in place and the report
    names the elements that changed. Activities reported by an organisation
    other than ``own_org_ref`` are marked as partners' (external) activities.

    The file is read and written 500 activities at a time in the caller's
    transaction, so memory stays bounded; in ``all`` mode the first problem
    stops the writing (reading goes on to list every problem) and the error
    makes the caller's transaction roll everything back. Parents are linked
    once the whole file is read, with the children the platform already holds
    that a parent of the file lists (:meth:`_Tree.link`).
    """
    require(principal, Action.WRITE_OWN_UNIT)  # before reading: a reader may not import
    try:  # before reading too: the database's constraint would refuse it at the first write
        handling = Handling.parse(handling).value
    except ValueError as exc:
        raise InputError.single("handling", reason_of(exc)) from None
    vocab = Vocabulary.load(session)
    label = name or (source.name if isinstance(source, Path) else N_("the IATI file"))
    # batches already written are undone here on any problem, whatever the caller does
    savepoint = session.begin_nested()
    try:
        with fewer_collections():  # the writes allocate as many short-lived rows as the reads
            report = _import(session, principal, source, vocab, label, owner_unit_id,
                             handling, own_org_ref, mode)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return report


def _import(session: Session, principal: Principal, source: Path | IO[bytes],
            vocab: Vocabulary, label: str, owner_unit_id: int | None, handling: str,
            own_org_ref: str, mode: Mode) -> IatiImport:
    report = IatiImport()
    problems: list[Problem] = []
    preserved: Counter[str] = Counter()
    tree = _Tree()
    for chunk in iter_batches(source, vocab, own_org_ref=own_org_ref):
        report.version = chunk.version or report.version
        report.read += chunk.count
        report.warnings += chunk.warnings
        report.notes += chunk.notes
        tree.read(chunk)
        if mode == "all":
            problems += chunk.problems
            if problems:
                continue  # nothing more is written; the rest is read for its problems
            _apply(session, principal, chunk, chunk.activities, report, tree, label,
                   owner_unit_id, handling, vocab)
            written = chunk.activities
        else:
            report.rejected += chunk.problems
            specs = [s for s in chunk.activities if chunk.locations[s.identifier]
                     not in chunk.broken]
            _apply_each(session, principal, chunk, specs, report, tree, label,
                        owner_unit_id, handling, vocab)
            # an activity refused when written (no owning unit, another unit's …) keeps
            # nothing: seen with a Belgian NGO's file imported without a unit
            written = [s for s in specs if s.identifier in tree.ids]
        for spec in written:
            preserved.update(chunk.kept.get(spec.identifier, ()))
    if mode == "all" and problems:
        raise InputError(problems, summary=_refused(problems, label))
    found = tree.link(session, principal, report)
    if found and mode == "all":
        raise InputError(found, summary=_refused(found, label))
    tree.audit(session, principal, label)
    report.rejected += found
    report.preserved = dict(sorted(preserved.items()))
    return report


def _refused(problems: list[Problem], label: str) -> Message:
    return N_plural("%(count)s problem in %(source)s; nothing was applied",
                    "%(count)s problems in %(source)s; nothing was applied", len(problems),
                    count=len(problems), source=label)


class _Tree:
    """The hierarchy of the file, kept light (identifiers and levels) while batches go in."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.levels: dict[str, str] = {}
        self.where: dict[str, str] = {}
        self.parents: dict[str, str] = {}
        self.children: dict[str, list[str]] = {}
        self.implicit: set[str] = set()
        #: the identifiers of the file's refused activities (their refusal names them)
        self.refused: set[str] = set()
        #: (id, handling, parent) of the children in the platform linked under a parent
        self.adopted: list[tuple[int, str, str]] = []

    def read(self, chunk: ReadResult) -> None:
        for spec in chunk.activities:
            self.levels[spec.identifier] = spec.level
            self.where[spec.identifier] = chunk.locations[spec.identifier]
            if spec.parent_identifier:
                self.parents[spec.identifier] = spec.parent_identifier
        self.children.update(chunk.children)
        self.implicit |= chunk.implicit_level
        self.refused.update(chunk.broken.values())

    def link(self, session: Session, principal: Principal, report: IatiImport) -> list[Problem]:
        """Set the parents of the written activities; problems for those that cannot be.

        A child a parent lists (related-activity type 2) that is not in the file but
        in the platform (imported earlier, from a file of its own) is linked under it
        when the importer may change it (:meth:`_adopt`).
        """
        problems: list[Problem] = []
        noted = len(report.notes)
        # a child a parent lists (related-activity type 2) that is neither in the file nor
        # in the platform: its reference is kept as published, and said so as a parent's is
        listed = sorted({kid for kids in self.children.values() for kid in kids
                         if kid not in self.ids and kid not in self.refused})
        known = _existing(session, listed) if listed else {}
        #: existing child → the first parent of the file that lists it
        listing: dict[str, str] = {}
        for parent, kids in sorted(self.children.items()):
            if parent not in self.ids:
                continue
            for kid in kids:
                if kid in self.ids or kid in self.refused:
                    continue
                if kid in known and may_read(known[kid], principal):
                    if listing.setdefault(kid, parent) != parent:
                        problems.append(Problem(self.where[parent], N_(
                            "child %(child)s, in the platform, is listed by %(other)s too; "
                            "not linked under this activity", child=repr(kid),
                            other=repr(listing[kid]))))
                    continue
                report.notes.append(Problem(self.where[parent], N_(
                    "child %(child)s is neither in the file nor in the platform; kept "
                    "as published", child=repr(kid))))
        parents = {k: v for k, v in self.parents.items() if k in self.ids}
        for parent, kids in self.children.items():
            for kid in kids:
                if kid not in self.ids:
                    continue
                if kid not in parents:
                    parents[kid] = parent
                elif parents[kid] != parent:
                    problems.append(Problem(self.where[kid], N_(
                        "%(parent)s lists it as a child but it names %(named)s as its parent",
                        parent=repr(parent), named=repr(parents[kid]))))
        # a record without hierarchy that a parent lists as its child sits at the bottom
        lowered = {kid: self.ids[kid] for kids in self.children.values() for kid in kids
                   if kid in self.implicit and kid in self.ids
                   and kid not in self.parents and self.levels[kid] != "activity"}
        for kid in lowered:
            self.levels[kid] = "activity"
        if lowered:
            table = _t(Activity)
            session.execute(update(table).where(table.c.id == bindparam("row_id")),
                            [{"row_id": i, "level": "activity"} for i in lowered.values()])
        outside = _existing(session, sorted({p for p in parents.values() if p not in self.ids}))
        links: dict[int, int | None] = {}
        for kid, parent in sorted(parents.items()):
            if parent in self.ids:
                parent_id, level = self.ids[parent], self.levels[parent]
            elif parent in outside and may_read(outside[parent], principal):
                parent_id, level = outside[parent].id, outside[parent].level
            else:
                report.notes.append(Problem(self.where[kid], N_(
                    "parent %(parent)s is neither in the file nor in the platform; kept "
                    "without parent", parent=repr(parent))))
                continue
            reason = check_hierarchy(self.levels[kid], level)
            if reason:
                problems.append(Problem(self.where[kid], N_("%(reason)s (%(value)s)",
                                                            reason=reason,
                                                            value=repr(parent))))
                continue
            links[self.ids[kid]] = parent_id
        adopted = self._adopt(session, principal, report, problems,
                              {kid: (known[kid], parent) for kid, parent in listing.items()})
        set_parents(session, links)
        for kid, parent in sorted(listing.items()):
            child = known[kid]
            if child.id in adopted:
                self.adopted.append((child.id, child.handling, parent))
                session.expire(child)  # the bulk statement left its copy stale
        # said in the file's order: the loops above go in identifier order (which decides
        # the parent of a child two list), and a report line naming their activities read
        # iati-activity[2, 5, 32, 302, …]
        order = {where: i for i, where in enumerate(self.where.values())}

        def in_file(problem: Problem) -> int:
            return order.get(problem.location, len(order))

        report.notes[noted:] = sorted(report.notes[noted:], key=in_file)
        return sorted(problems, key=in_file)

    def audit(self, session: Session, principal: Principal, label: str) -> None:
        """Audit the children in the platform linked under a parent of the file: not in
        the file, they were not audited with it (once the import is kept)."""
        for ident, handling, parent in self.adopted:
            audit.record(session, principal, "update", Activity.record_type, ident, handling,
                         detail=f"import {label}: parent {parent}")

    def _adopt(self, session: Session, principal: Principal, report: IatiImport,
               problems: list[Problem],
               existing: dict[str, tuple[Activity, str]]) -> dict[int, int | None]:
        """Link the children in the platform (not in the file) that a parent of the file
        lists and the importer may change; child id → parent id of those linked.

        One already under that parent is left as it is; one under another parent, or
        whose published copy names another (related-activity type 1, a parent that was
        not in the platform when it was imported), is a problem naming both, as the
        same disagreement within the file is; one the importer may read but not change
        is noted and left as it is.
        """
        if not existing:
            return {}
        rows = [child for child, _ in existing.values()]
        linked = parent_identifiers(session, rows, principal)
        published = _published_parents(
            session, [child.id for child in rows if child.parent_id is None])
        out: dict[int, int | None] = {}
        for kid, (child, parent) in sorted(existing.items()):
            where = self.where[parent]
            if child.parent_id == self.ids[parent]:
                continue  # already there
            named: str | None
            if child.parent_id is not None:
                # a parent the importer may not read is not named
                named = (repr(linked[child.id]) if child.id in linked
                         else N_("a record you may not see"))
            else:
                named = published.get(child.id)
                named = repr(named) if named and named != parent else None
            if named is not None:
                problems.append(Problem(where, N_(
                    "child %(child)s, in the platform, has %(named)s as its parent; not "
                    "linked under this activity", child=repr(kid), named=named)))
                continue
            if not may_write(principal, child.owner_unit_id):
                report.notes.append(Problem(where, N_(
                    "child %(child)s is in the platform and belongs to a unit whose records "
                    "you may not change; not linked", child=repr(kid))))
                continue
            reason = check_hierarchy(child.level, self.levels[parent])
            if reason:
                problems.append(Problem(where, N_(
                    "%(reason)s (%(value)s)", reason=reason,
                    value=N_("child %(identifier)s", identifier=repr(kid)))))
                continue
            # linked only if it still has no parent: another import may have linked it
            # since it was read (the row is locked until this one ends)
            table = _t(Activity)
            claimed = session.execute(
                update(table).where(table.c.id == child.id, table.c.parent_id.is_(None))
                .values(parent_id=self.ids[parent]))
            if not claimed.rowcount:  # type: ignore[attr-defined]
                problems.append(Problem(where, N_(
                    "child %(child)s, in the platform, was placed under another parent "
                    "while this file was read; not linked under this activity",
                    child=repr(kid))))
                continue
            report.notes.append(Problem(where, N_(
                "child %(child)s is in the platform, not in the file; linked under this "
                "activity", child=repr(kid))))
            out[child.id] = self.ids[parent]
        return out


def _published_parents(session: Session, activity_ids: Sequence[int]) -> dict[int, str]:
    """Activity id → the parent its published copy names (the first related-activity of
    type 1, as the reader takes it), for those that name one."""
    out: dict[int, str] = {}
    parser = safe_parser(remove_comments=True, remove_pis=True)
    for ident, record in published_records(session, activity_ids).items():
        element = etree.fromstring(record.xml.encode("utf-8"), parser)
        for related in element.iterchildren("related-activity"):
            if related.get("type", "") == codes.RELATED_PARENT:
                ref = related.get("ref", "").strip()
                if ref:
                    out[ident] = ref
                break
    return out


def _apply(session: Session, principal: Principal, chunk: ReadResult,
           specs: Sequence[ActivitySpec], report: IatiImport, tree: _Tree, label: str,
           owner_unit_id: int | None, handling: str, vocab: Vocabulary) -> None:
    """Write one batch (parents are linked at the end, by :meth:`_Tree.link`)."""
    if not specs:
        return
    before = _published(session, [s.identifier for s in specs])
    unlinked = [s.model_copy(update={"parent_identifier": None}) if s.parent_identifier
                else s for s in specs]
    summary = apply_specs(session, principal, unlinked, chunk.locations, vocab=vocab,
                          owner_unit_id=owner_unit_id, handling=handling, source=label)
    report.created += summary.created
    report.updated += summary.updated
    report.notes += summary.notes
    report.ids += summary.ids
    tree.ids.update(zip([s.identifier for s in specs], summary.ids, strict=True))
    for spec in specs:
        old = before.get(spec.identifier)
        if old is None:
            continue
        parts = chunk.iati[spec.identifier]
        changes = element_changes(old[1], parts.xml, old[0], parts.digest)
        if changes:
            report.changed[spec.identifier] = list(changes)
            report.changes[spec.identifier] = changes
        else:
            report.unchanged += 1
    # only an activity with a published copy can have register rows (both are written
    # together, below): a new one has none to delete
    write_parts(session, [(chunk.iati[s.identifier], tree.ids[s.identifier]) for s in specs],
                source=label,
                known={tree.ids[s.identifier] for s in specs if s.identifier in before})


def _apply_each(session: Session, principal: Principal, chunk: ReadResult,
                specs: list[ActivitySpec], report: IatiImport, tree: _Tree, label: str,
                owner_unit_id: int | None, handling: str, vocab: Vocabulary) -> None:
    """One batch, activity by activity: what the file-level checks refuse is left out."""
    for _ in range(RETRIES):
        nested = session.begin_nested()
        # what the batch adds to the report and the tree, taken back with its writes (each
        # identifier is new to them: the reader refuses one the file used before)
        counts = (report.created, report.updated, report.unchanged, len(report.ids),
                  len(report.notes), len(report.changed), len(tree.ids))
        try:
            _apply(session, principal, chunk, specs, report, tree, label, owner_unit_id,
                   handling, vocab)
        except InputError as exc:
            nested.rollback()
            report.created, report.updated, report.unchanged = counts[:3]
            del report.ids[counts[3]:], report.notes[counts[4]:]
            for written in _added(report.changed, counts[5]):
                del report.changed[written], report.changes[written]
            for written in _added(tree.ids, counts[6]):
                del tree.ids[written]  # a rolled-back row's id, which SQLite gives out again
            refused = {s.identifier for s in specs if any(
                p.location.startswith(chunk.locations[s.identifier] + "/")
                or p.location in (chunk.locations[s.identifier], s.identifier)
                for p in exc.problems)}
            if not refused:
                raise
            report.rejected += exc.problems
            specs = [s for s in specs if s.identifier not in refused]
            continue
        nested.commit()
        return
    raise InputError(report.rejected, summary=N_("%(source)s: too many activities were "
                                                 "refused", source=label))


def _added(keys: dict[str, Any], before: int) -> list[str]:
    """The keys added to ``keys`` since it held ``before`` (the last ones, in order)."""
    return list(islice(reversed(keys), len(keys) - before))


def _published(session: Session, identifiers: Sequence[str]) -> dict[str, tuple[str, str]]:
    """identifier → (digest, published XML) of the activities already imported."""
    out: dict[str, tuple[str, str]] = {}
    for start in range(0, len(identifiers), CHUNK):
        chunk = identifiers[start:start + CHUNK]
        rows = session.execute(
            unguarded_select(Activity.identifier, IatiRecord.digest, IatiRecord.xml,
                             why="identifiers are unique across units: a re-import finds "
                                 "the published copy whoever holds it, and the import "
                                 "refuses activities the importer may not change")
            .join(IatiRecord, IatiRecord.activity_id == Activity.id)
            .where(Activity.identifier.in_(chunk)))
        for identifier, digest, xml in rows:
            out[identifier] = (digest, xml)
    return out


def changed_elements(old_xml: str, new_xml: str, old_digest: str = "",
                     new_digest: str = "") -> list[str]:
    """Names of the top-level elements (and ``@attributes``) that differ; none where the
    copies' digests are equal. A digest is of the copy as written: the same elements
    written otherwise (indented, quoted, encoded or commented another way) differ in
    digest and have no name here either, so a caller counts them unchanged."""
    return list(element_changes(old_xml, new_xml, old_digest, new_digest))


def element_changes(old_xml: str, new_xml: str, old_digest: str = "",
                    new_digest: str = "") -> dict[str, ElementChanges]:
    """The names of :func:`changed_elements` (the same, in the same order), each with how
    many of its elements were added, removed, changed or moved (:func:`_counted`).

    Elements are compared as :func:`changed_elements` compares them (name, attributes in
    any order, trimmed text and children; comments ignored): one written otherwise is
    the same element."""
    if old_digest and old_digest == new_digest:
        return {}
    parser = safe_parser(remove_comments=True, remove_pis=True)
    old = etree.fromstring(old_xml.encode("utf-8"), parser)
    new = etree.fromstring(new_xml.encode("utf-8"), parser)
    out: dict[str, ElementChanges] = {}
    for name in sorted(set(old.attrib) | set(new.attrib)):
        before, after = old.get(name), new.get(name)
        if before != after:
            out[f"@{name}"] = ElementChanges(
                added=int(before is None), removed=int(after is None),
                changed=int(before is not None and after is not None), single=True)
    a, b = _groups(old), _groups(new)
    for tag in sorted(set(a) | set(b)):
        then = [_canonical(e) for e in a.get(tag, [])]
        now = [_canonical(e) for e in b.get(tag, [])]
        if then != now:
            out[tag] = _counted(then, now)
    return out


def _counted(then: Sequence[tuple[object, ...]],
             now: Sequence[tuple[object, ...]]) -> ElementChanges:
    """How the elements of one name differ, old copy ``then`` and new ``now`` (compared
    forms, in the order published).

    1. The longest runs of equal elements in the same order (as :mod:`difflib` finds
       them) are unchanged; what lies between them is a gap on either side.
    2. An element of an old gap equal to one of a new gap (wherever it is) was moved.
    3. What is left of a gap is paired in order, the first old with the first new and
       so on: each pair was changed; an old one left without a pair was removed, a new
       one added.
    """
    gaps = [(then[i1:i2], now[j1:j2]) for op, i1, i2, j1, j2
            in SequenceMatcher(None, then, now, autojunk=False).get_opcodes() if op != "equal"]
    moved = (Counter(e for old, _ in gaps for e in old)
             & Counter(e for _, new in gaps for e in new))
    left_old, left_new = Counter(moved), Counter(moved)
    added = removed = changed = 0
    for old, new in gaps:
        rest_old = [e for e in old if not _take(left_old, e)]
        rest_new = [e for e in new if not _take(left_new, e)]
        paired = min(len(rest_old), len(rest_new))
        changed += paired
        removed += len(rest_old) - paired
        added += len(rest_new) - paired
    return ElementChanges(added=added, removed=removed, changed=changed,
                          moved=sum(moved.values()), single=len(then) <= 1 and len(now) <= 1)


def _take(counts: Counter[tuple[object, ...]], element: tuple[object, ...]) -> bool:
    """Whether ``element`` is one of ``counts`` still to take (and takes it)."""
    if counts[element] <= 0:
        return False
    counts[element] -= 1
    return True


def _t(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def write_parts(session: Session, pairs: Sequence[tuple[IatiParts, int]], *,
                source: str = "", known: Collection[int] | None = None) -> None:
    """Replace the register rows of the given activity ids with ``parts`` (bulk statements).

    ``known``: the ids among them that may have register rows already (``None``: any);
    the others are only inserted.
    """
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        ids = [ident for _, ident in chunk if known is None or ident in known]
        for model in (IatiRecord, IatiTransaction, IatiBudget, IatiSector, IatiRecipient):
            if not ids:
                break
            table = _t(model)
            session.execute(delete(table).where(table.c.activity_id.in_(ids)))
        insert_many(session, _t(IatiRecord), [
            {"activity_id": ident, "version": parts.version, "source": source[:300],
             "xml": parts.xml, "digest": parts.digest} for parts, ident in chunk])
        for model, attribute in ((IatiTransaction, "transactions"), (IatiBudget, "budgets"),
                                 (IatiSector, "sectors"), (IatiRecipient, "recipients")):
            groups = [(getattr(parts, attribute), ident) for parts, ident in chunk]
            rows = [row for group, _ in groups for row in group]
            # the activity id as a column of its own: the rows are not copied to carry it
            insert_many(session, _t(model), rows, extra={"activity_id": [
                ident for group, ident in groups for _ in range(len(group))]})


# --- export -----------------------------------------------------------------------------


def _selection(session: Session, principal: Principal, ids: Sequence[int] | None,
               **filters: object) -> list[tuple[int, ActivitySpec]]:
    require(principal, Action.EXPORT)
    stmt = activities_query(principal, ids=ids, **filters).options(*FULL)  # type: ignore[arg-type]
    rows = list_readable(session, stmt, principal, action="export")
    parents = parent_identifiers(session, rows, principal)
    vocab_units = Vocabulary.load(session).units
    unit_codes = {ident: code for code, ident in vocab_units.items()}
    return [(row.id, to_spec(row, parents.get(row.id), unit_codes)) for row in rows]


def selection_specs(session: Session, principal: Principal,
                    ids: Sequence[int] | None = None, **filters: object) -> list[ActivitySpec]:
    """The readable activities (all, the given ids, or those matching ``filters``) as specs.

    Exports count as reads of what they contain: each record above GREEN is
    written to the audit log with the action ``export``.
    """
    return [spec for _, spec in _selection(session, principal, ids, **filters)]


def published_records(session: Session, activity_ids: Iterable[int]) -> dict[int, Published]:
    wanted = list(activity_ids)
    out: dict[int, Published] = {}
    for start in range(0, len(wanted), CHUNK):
        for activity_id, xml, version in session.execute(
                select(IatiRecord.activity_id, IatiRecord.xml, IatiRecord.version)
                .where(IatiRecord.activity_id.in_(wanted[start:start + CHUNK]))):
            out[activity_id] = Published(xml=xml, version=version)
    return out


def validate_export(data: bytes | Path) -> list[Problem]:
    """Problems an IATI Validator would report on an export: the 2.03 schema and the rulesets."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    tree = etree.parse(source if isinstance(source, io.BytesIO) else str(source),
                       safe_parser(remove_comments=True))
    problems = [Problem(path, schema_message(message)) for path, message in schema_errors(tree)]
    for i, activity in enumerate(tree.getroot().iterfind("iati-activity"), start=1):
        where = f"/iati-activities/iati-activity[{i}]"
        problems += [Problem(where + path, reason) for path, reason in check_element(activity)]
    return problems


def export_iati(session: Session, principal: Principal, target: Path | IO[bytes],
                ids: Sequence[int] | None = None, *, strict: bool = False,
                **filters: object) -> int:
    """Write the selection as an IATI 2.03 file; returns how many activities it holds.

    Activities imported from IATI files are written back as published, with the
    platform's changes over them (see :func:`tocsin.taskforce.iati.writer.merge`).
    With ``strict`` the file is first checked against the 2.03 schema and the
    IATI rulesets, and nothing is written when it fails
    (:class:`~tocsin.errors.InputError` lists why).
    """
    selection = _selection(session, principal, ids, **filters)
    records = published_records(session, [ident for ident, _ in selection])
    published = {spec.identifier: records[ident] for ident, spec in selection
                 if ident in records}
    vocab = Vocabulary.load(session)
    specs = [spec for _, spec in selection]
    if strict:
        with tempfile.SpooledTemporaryFile(max_size=32 * 2**20) as buffer:
            count = write_activities(specs, buffer, vocab, published=published)
            buffer.seek(0)
            problems = validate_export(buffer.read())
            if problems:
                raise InputError(problems, summary=N_plural(
                    "the export breaks %(count)s IATI schema or ruleset rule; nothing was "
                    "written",
                    "the export breaks %(count)s IATI schema or ruleset rules; nothing was "
                    "written", len(problems), count=len(problems)))
            buffer.seek(0)
            if isinstance(target, Path):
                with target.open("wb") as out:
                    shutil.copyfileobj(buffer, out)
            else:
                shutil.copyfileobj(buffer, target)
    else:
        count = write_activities(specs, target, vocab, published=published)
    audit.record(session, principal, "export", Activity.record_type, "",
                 detail=f"IATI export of {count} activities")
    return count


@dataclass
class ExportCheck:
    """What an IATI Validator would say of an export: how many activities it holds and the
    problems of each, with the identifier of the activity a problem is in (the file's
    XPath alone tells a person only a position)."""

    count: int
    problems: list[tuple[str, Problem]]


def check_export(session: Session, principal: Principal, ids: Sequence[int] | None = None,
                 **filters: object) -> ExportCheck:
    """The selection exported as :func:`export_iati` writes it, checked against the 2.03
    schema and the IATI rulesets (:func:`validate_export`); audited as an export, since the
    problems quote what the activities hold."""
    with tempfile.SpooledTemporaryFile(max_size=32 * 2**20) as buffer:
        count = export_iati(session, principal, buffer, ids, **filters)  # type: ignore[arg-type]
        buffer.seek(0)
        data = buffer.read()
    return ExportCheck(count, named_problems(data))


def named_problems(data: bytes) -> list[tuple[str, Problem]]:
    """The problems of an export (:func:`validate_export`), each with the identifier of
    the activity it is in (``""`` where none): a problem names the activity's position in
    the file, a person looks for its identifier."""
    problems = validate_export(data)
    if not problems:
        return []
    identifiers = _identifiers(data)
    found = []
    for problem in problems:
        # libxml leaves out the position of the only activity of its name
        position = re.match(r"/iati-activities/iati-activity(?:\[(\d+)\])?(?![\w-])",
                            problem.location)
        index = (int(position[1]) - 1 if position[1] else 0) if position else -1
        found.append((identifiers[index] if 0 <= index < len(identifiers) else "", problem))
    return found


def file_identifiers(data: bytes) -> list[str]:
    """The identifiers of the activities of an activity file (or an IATI Datastore answer),
    as far as the file reads: for a look before the import, which itself reports what
    does not read. No DTD, entity or network is read."""
    unwrapped = _unwrapped(data)
    if unwrapped is None:
        return []
    return [identifier for identifier in dict.fromkeys(_identifiers(unwrapped)) if identifier]


def refused_activities(data: bytes, problems: Sequence[Problem]) -> list[tuple[int, str]]:
    """``(position, identifier)`` of each activity of an XML file the import refused, as
    ``problems`` name them (by their position alone: an activity-by-activity report's
    ``rejected``, an all-or-nothing import's error); ``""`` for one without an identifier."""
    positions = sorted({int(at[1]) for problem in problems
                        if (at := _ACTIVITY_AT.match(problem.location.removeprefix(
                            "/iati-activities/"))) is not None
                        and problem.location.startswith("/iati-activities/")})
    if not positions or answers.unwrap(io.BytesIO(data)) is not None:
        return []  # a Datastore answer's refusals name its documents
    identifiers = _identifiers(data)
    return [(p, identifiers[p - 1] if p <= len(identifiers) else "") for p in positions]


def _unwrapped(data: bytes) -> bytes | None:
    """An activity file as it is, a Datastore answer's activities as a file; None when
    the answer cannot be read."""
    try:
        unwrapped = answers.unwrap(io.BytesIO(data))
    except TocsinError:
        return None
    if unwrapped is None:
        return data
    return unwrapped.xml


def _identifiers(data: bytes) -> list[str]:
    """The identifier of each activity of the file, by position (``""`` where it has
    none), up to the first place that does not read."""
    found: list[str] = []
    try:
        for event, element in etree.iterparse(
                io.BytesIO(data), events=("start", "end"),
                tag=("{*}iati-activity", "{*}iati-identifier"),
                resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False):
            activity = etree.QName(element).localname == "iati-activity"
            if activity and event == "start":
                found.append("")
            elif activity:
                element.clear()  # memory stays flat, as the import's own reading
            elif event == "end" and found and not found[-1]:
                parent = element.getparent()
                if parent is not None and etree.QName(parent).localname == "iati-activity":
                    found[-1] = (element.text or "").strip()
    except etree.XMLSyntaxError:
        pass
    return found


def report_lines(report: IatiImport) -> list[Message]:
    """The import report as lines (CLI and web), each a message in the reader's language."""
    # a portal's download declares no version on its root: each activity's is in the notes;
    # a file refused before any activity was read (not XML, another root …) has neither
    version = report.version or (N_("(version per activity)") if report.read
                                 else N_("(no activity read)"))
    counts = N_("IATI %(version)s: %(created)s created, %(updated)s updated",
                version=version, created=report.created, updated=report.updated)
    if report.unchanged:
        counts = N_("IATI %(version)s: %(created)s created, %(updated)s updated (%(unchanged)s "
                    "of them unchanged)", version=version, created=report.created,
                    updated=report.updated, unchanged=report.unchanged)
    lines = [counts]
    lines += [changed_line(identifier, names, report.changes.get(identifier))
              for identifier, names in sorted(report.changed.items())]
    if report.preserved:
        kept = Joined(Joined((name, f" x{count}"), "") for name, count
                      in report.preserved.items())
        lines.append(N_("kept as published (written back on export): %(elements)s",
                        elements=kept))
    for kind, problems in (("refused", report.rejected), ("rule", report.warnings),
                           ("note", report.notes)):
        merged, places = by_element(problems)
        for location, reason, count in grouped(merged):
            if count == 1 and places.get(location, 1) > 1:
                lines.append(_PLACES_LINE[kind](location, reason, Number(places[location])))
            elif count == 1:
                lines.append(_ONE_LINE[kind](location, reason))
            else:
                lines.append(_ACTIVITIES_LINE[kind](location, reason, Number(count)))
    return lines


def changed_line(identifier: str, names: Sequence[str],
                 changes: dict[str, ElementChanges] | None) -> Message:
    """The report's line for one re-imported activity (or organisation) that changed: its
    elements counted where ``changes`` says how (:func:`change_parts`), else named."""
    elements = Joined(part for name in names for part in change_parts(name, changes[name])) \
        if changes else ", ".join(names)
    return N_("changed %(identifier)s: %(elements)s", identifier=identifier, elements=elements)


def change_parts(name: str, changes: ElementChanges) -> list[Message]:
    """What the report says of the elements ``name`` of one re-imported activity: "title
    changed", "2 budget elements added", "1 transaction element removed"."""
    parts: list[Message] = []
    if changes.single:
        if changes.added:
            parts.append(N_("%(element)s added", element=name))
        if changes.removed:
            parts.append(N_("%(element)s removed", element=name))
        if changes.changed:
            parts.append(N_("%(element)s changed", element=name))
        return parts
    if changes.added:
        parts.append(N_plural("%(count)s %(element)s element added",
                              "%(count)s %(element)s elements added", changes.added,
                              count=Number(changes.added), element=name))
    if changes.removed:
        parts.append(N_plural("%(count)s %(element)s element removed",
                              "%(count)s %(element)s elements removed", changes.removed,
                              count=Number(changes.removed), element=name))
    if changes.changed:
        parts.append(N_plural("%(count)s %(element)s element changed",
                              "%(count)s %(element)s elements changed", changes.changed,
                              count=Number(changes.changed), element=name))
    if changes.moved:
        parts.append(N_plural("%(count)s %(element)s element moved",
                              "%(count)s %(element)s elements moved", changes.moved,
                              count=Number(changes.moved), element=name))
    return parts


#: How many activities' positions a grouped report line lists before "…".
SHOWN_POSITIONS = 10
_ACTIVITY_AT = re.compile(r"iati-activity\[(\d+)\]")
#: The last position in a location after the activity's (``recipient-country[102]``).
_LAST_POSITION = re.compile(r"\[(\d+)\](?!.*\[\d+\])")

_ONE_LINE: dict[str, Callable[[str, str], Message]] = {
    "refused": lambda at, why: N_("refused %(location)s: %(reason)s", location=at, reason=why),
    "rule": lambda at, why: N_("IATI rule %(location)s: %(reason)s", location=at, reason=why),
    "note": lambda at, why: N_("note %(location)s: %(reason)s", location=at, reason=why)}
_ACTIVITIES_LINE: dict[str, Callable[[str, str, Number], Message]] = {
    "refused": lambda at, why, n: N_("refused %(location)s: %(reason)s (%(count)s activities)",
                                     location=at, reason=why, count=n),
    "rule": lambda at, why, n: N_("IATI rule %(location)s: %(reason)s (%(count)s activities)",
                                  location=at, reason=why, count=n),
    "note": lambda at, why, n: N_("note %(location)s: %(reason)s (%(count)s activities)",
                                  location=at, reason=why, count=n)}
_PLACES_LINE: dict[str, Callable[[str, str, Number], Message]] = {
    "refused": lambda at, why, n: N_("refused %(location)s: %(reason)s (%(count)s places in "
                                     "the activity)", location=at, reason=why, count=n),
    "rule": lambda at, why, n: N_("IATI rule %(location)s: %(reason)s (%(count)s places in "
                                  "the activity)", location=at, reason=why, count=n),
    "note": lambda at, why, n: N_("note %(location)s: %(reason)s (%(count)s places in the "
                                  "activity)", location=at, reason=why, count=n)}


def by_element(problems: Iterable[Problem]) -> tuple[list[Problem], dict[str, int]]:
    """The same reason at the same place of several elements of one activity as one
    problem, its location naming their positions (``…/iati-activity[1]/recipient-country[1,
    3, 4, …]``, the first :data:`SHOWN_POSITIONS`), and how many elements each such
    location stands for: BEIS's 175 recipient countries with the same share gave 175 lines.
    In first-seen order; a problem outside an activity, or without a position after the
    activity's, stays as it is."""
    groups: dict[tuple[str, str, str, str], tuple[Problem, dict[int, None]]] = {}
    for problem in problems:
        at = _ACTIVITY_AT.search(problem.location)
        last = _LAST_POSITION.search(problem.location, at.end()) if at is not None else None
        if last is None:
            groups[(problem.location, "", str(problem.reason), str(len(groups)))] = (problem, {})
            continue
        key = (problem.location[:last.start()], problem.location[last.end():],
               str(problem.reason), "")
        # the positions in first-seen order, each once (an activity may hold thousands)
        groups.setdefault(key, (problem, {}))[1][int(last.group(1))] = None
    merged: list[Problem] = []
    places: dict[str, int] = {}
    for (before, after, _, _), (problem, positions) in groups.items():
        if len(positions) < 2:
            merged.append(problem)
            continue
        shown = ", ".join(str(p) for p in islice(positions, SHOWN_POSITIONS))
        if len(positions) > SHOWN_POSITIONS:
            shown += ", …"
        location = f"{before}[{shown}]{after}"
        merged.append(Problem(location, problem.reason))
        places[location] = len(positions)
    return merged, places


def grouped(problems: Iterable[Problem]) -> list[tuple[str, str, int]]:
    """``(location, reason, activities)`` for the report: the same reason at the same
    place in several activities is one line, its location naming their positions
    (``/iati-activities/iati-activity[2, 3, 4]/default-tied-status/@code``, the first
    :data:`SHOWN_POSITIONS` and "…"), so a publisher's file of thousands of activities
    with one habit gives one line, not thousands. In first-seen order."""
    groups: dict[tuple[str, str, str], tuple[str, list[int]]] = {}
    for problem in problems:
        at = _ACTIVITY_AT.search(problem.location)
        if at is None:  # not in an activity: as it is
            key = (problem.location, "", str(problem.reason))
            groups.setdefault(key, (problem.reason, []))
            continue
        key = (problem.location[:at.start()], problem.location[at.end():], str(problem.reason))
        positions = groups.setdefault(key, (problem.reason, []))[1]
        if int(at.group(1)) not in positions[-1:]:
            positions.append(int(at.group(1)))
    out = []
    for (before, after, _), (reason, positions) in groups.items():
        if not positions:
            out.append((before, reason, 1))
            continue
        shown = ", ".join(str(p) for p in positions[:SHOWN_POSITIONS])
        if len(positions) > SHOWN_POSITIONS:
            shown += ", …"
        out.append((f"{before}iati-activity[{shown}]{after}", reason, len(positions)))
    return out
