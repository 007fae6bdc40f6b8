"""The review queue: records whose review date has come (or that have no legal basis yet),
and the three decisions on each: extend with a justification, anonymise, or delete.

Deleting removes the data everywhere the platform copied it (see
:func:`tocsin.safeguards.records.erase_subject`, and for a transaction set
:func:`tocsin.money.sets.delete_set`, which takes its Parquet files, results and exports
with it) and leaves an audit entry without the deleted content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from tocsin.access import audit
from tocsin.access.policy import readable, require_write, storable_id
from tocsin.access.principal import Principal
from tocsin.cases.records import get_case, writable_case
from tocsin.cases.tables import Case
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.money.tables import TransactionSet
from tocsin.safeguards import records
from tocsin.safeguards.config import rules
from tocsin.safeguards.spec import ErasureSpec, ExtensionSpec
from tocsin.safeguards.tables import Processing
from tocsin.settings import Settings

#: How far ahead the queue looks by default.
AHEAD_DAYS = 30


@dataclass(frozen=True)
class Item:
    kind: str  # case, transaction_set, subject
    title: str
    url: str
    processing: Processing | None
    #: Why it is in the queue.
    reason: str
    may_write: bool

    @property
    def overdue(self) -> bool:
        return self.processing is not None and self.processing.review_on < date.today()


def queue(session: Session, principal: Principal, today: date | None = None,
          ahead_days: int = AHEAD_DAYS) -> list[Item]:
    """What the principal may read and must review: review date within ``ahead_days`` (or
    passed), or no purpose and legal basis recorded. Oldest review date first."""
    from tocsin.access.policy import may_write

    day = today or date.today()
    limit = day + timedelta(days=ahead_days)
    items: list[Item] = []
    cases = list(session.scalars(readable(Case, principal).where(Case.status == "open")
                                 .options(selectinload(Case.subjects))))
    case_proc = records.processing_of(session, "case", [c.id for c in cases])
    subject_proc = _subject_processing(session, [c.id for c in cases])
    for case in cases:
        writable = may_write(principal, case.owner_unit_id)
        items += _due("case", f"Case {case.reference}: {case.title}",
                      f"/safeguards/cases/{case.id}", case_proc.get(case.id), limit, writable)
        for person in records.persons(session, principal, case, subject_proc):
            p = person.processing
            label = (person.category.label if person.category else "Person")
            shown = "details withheld" if person.withheld else person.subject.caption
            if p is None and person.subject.schema == "Person":
                items.append(Item("subject", f"{label} ({shown}) in case {case.reference}",
                                  f"/safeguards/subjects/{person.subject.id}", None,
                                  "no category, purpose or legal basis recorded", writable))
            elif p is not None and p.review_on <= limit and not p.anonymised:
                items.append(Item("subject", f"{label} ({shown}) in case {case.reference}",
                                  f"/safeguards/subjects/{person.subject.id}", p,
                                  f"review due {p.review_on}", writable))
    found = list(session.scalars(readable(TransactionSet, principal)))
    set_proc = records.processing_of(session, "transaction_set", [s.id for s in found])
    for item in found:
        items += _due("transaction_set", f"Transaction set {item.name}",
                      f"/investigations/sets/{item.id}", set_proc.get(item.id), limit,
                      may_write(principal, item.owner_unit_id))
    return sorted(items, key=lambda i: (i.processing is not None,
                                        i.processing.review_on if i.processing else day,
                                        i.title))


def _due(kind: str, title: str, url: str, proc: Processing | None, limit: date,
         writable: bool) -> list[Item]:
    """A case or set in the queue: no purpose recorded, or its review falls before ``limit``."""
    if proc is None:
        return [Item(kind, title, url, None, "no purpose or legal basis recorded", writable)]
    if proc.review_on <= limit:
        return [Item(kind, title, url, proc, f"review due {proc.review_on}", writable)]
    return []


def _subject_processing(session: Session, case_ids: list[int]) -> dict[int, Processing]:
    """Processing records of the persons of these cases, in a few queries."""
    found: dict[int, Processing] = {}
    for start in range(0, len(case_ids), 500):
        found.update((p.record_id, p) for p in session.scalars(select(Processing).where(
            Processing.record_type == "subject",
            Processing.case_id.in_(case_ids[start:start + 500]))))
    return found


def _processing(session: Session, principal: Principal, processing_id: int
                ) -> tuple[Processing, str, int | None]:
    """The processing record, checked writable under its record's rule; its handling code
    and unit for the audit."""
    proc = session.get(Processing, processing_id) if storable_id(processing_id) else None
    if proc is None:
        raise NotFound.of('processing record', processing_id)
    if proc.record_type == "case":
        case = writable_case(session, principal, proc.record_id)
        return proc, case.handling, case.owner_unit_id
    if proc.record_type == "subject":
        case, _, _, category = records._subject(session, principal, proc.record_id, write=True)
        return proc, records.audience(case, category), case.owner_unit_id
    from tocsin.money import sets

    item = sets.get_set(session, principal, proc.record_id)
    require_write(principal, item.owner_unit_id)
    return proc, item.handling, item.owner_unit_id


def extend(session: Session, principal: Principal, processing_id: int,
           spec: ExtensionSpec, today: date | None = None) -> Processing:
    """Keep the record longer: a new review date, with the justification logged."""
    proc, handling, _ = _processing(session, principal, processing_id)
    limit = rules().review.max_extension_months
    problems = []
    if not spec.justification:
        problems.append(Problem("extension.justification",
                                N_("say why the data is still needed")))
    if spec.months > limit:
        problems.append(Problem("extension.months", N_("at most %(most)s months at once",
                                                       most=limit)))
    if problems:
        raise InputError(problems)
    start = max(proc.review_on, today or date.today())
    proc.review_on = records.add_months(start, spec.months)
    proc.justification, proc.extensions = spec.justification, proc.extensions + 1
    proc.updated_by = principal.username
    audit.record(session, principal, "update", _audit_type(proc), proc.record_id, handling,
                 detail=f"retention extended to {proc.review_on}; justification: "
                        f"{spec.justification[:1000]}")
    return proc


def _audit_type(proc: Processing) -> str:
    return records.PERSON if proc.record_type == "subject" else proc.record_type


def anonymise(session: Session, principal: Principal, processing_id: int,
              spec: ErasureSpec) -> None:
    proc, _, _ = _processing(session, principal, processing_id)
    if proc.record_type != "subject":
        raise InputError.single("decision", N_("only persons are anonymised; a case or a "
                                               "transaction set is extended or deleted"))
    records.anonymise_subject(session, principal, proc.record_id, spec)


def delete_record(session: Session, principal: Principal, settings: Settings,
                  processing_id: int, spec: ErasureSpec) -> int:
    """Delete the record under review everywhere it was copied; the number of recipients
    to notify (persons that were passed on)."""
    proc, _, _ = _processing(session, principal, processing_id)
    if not spec.reason:
        raise InputError.single("erasure.reason", N_("say why the record is deleted"))
    if proc.record_type == "subject":
        return len(records.erase_subject(session, principal, proc.record_id, spec))
    if proc.record_type == "transaction_set":
        from tocsin.money import sets

        sets.delete_set(session, principal, settings, proc.record_id)
        session.execute(delete(Processing).where(Processing.id == proc.id))
        return 0
    return delete_case(session, principal, proc.record_id, spec)


def delete_case(session: Session, principal: Principal, case_id: int,
                spec: ErasureSpec) -> int:
    """Delete a case at the end of its retention: its persons erased (recipients notified
    first), then the case with everything that hangs on it. Not through the trash: data
    whose retention ended is not kept for restore."""
    case = writable_case(session, principal, case_id)
    notified = 0
    for subject in list(case.subjects):
        notified += len(records.erase_subject(session, principal, subject.id, spec))
    reference, handling = case.reference, case.handling
    session.execute(delete(Processing).where(Processing.record_type == "case",
                                             Processing.record_id == case.id))
    session.delete(case)
    session.flush()
    audit.record(session, principal, "erase", "case", case_id, handling,
                 detail=f"case {reference} deleted at review ({spec.reason[:500]}); "
                        f"{notified} recipient notice(s) kept in the log of exchanges")
    return notified


def case_processing(session: Session, principal: Principal, case_id: int
                    ) -> Processing | None:
    case = get_case(session, principal, case_id)
    return records.processing_of(session, "case", [case.id]).get(case.id)

