"""Whose data, on which basis, until when; graded statements; transfers and corrections.

Every function reads and writes under the rule of the case (or transaction set) the
record belongs to: :func:`tocsin.cases.records.get_case` / ``writable_case`` first. A
person of a category with a narrower audience (victims, witnesses, informants) is shown
only to those who could read the case under that stricter code; a person of a sensitive
category is opened only with a justification, which the audit log keeps
(:func:`consult_subject`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tocsin.access import audit, grading
from tocsin.access.handling import HANDLING_CODES
from tocsin.access.policy import may_read, require_write, storable_id, unguarded_select
from tocsin.access.principal import Principal
from tocsin.cases.records import audit_case, get_case, writable_case
from tocsin.cases.tables import Asset, Case, Exchange, Subject
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.safeguards.config import Category, rules
from tocsin.safeguards.spec import (
    CorrectionSpec,
    ErasureSpec,
    ProcessingSpec,
    StatementSpec,
    TransferSpec,
)
from tocsin.safeguards.tables import (
    NATURES,
    Notification,
    Processing,
    Statement,
    Transmission,
)

#: The record type of a person of a case in the audit log.
PERSON = "data_subject"


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months (the last day when the month is shorter)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def stricter(*codes: str) -> str:
    """The most restrictive of TLP codes (empty ones ignored)."""
    return max((c for c in codes if c), key=HANDLING_CODES.index)


# --- persons of a case and who may see them ------------------------------------------------

@dataclass(frozen=True)
class Person:
    """A subject of a case as a reader sees it: its category and whether it is shown."""

    subject: Subject
    processing: Processing | None
    category: Category | None
    #: The TLP code the subject's details are read under (the case's or the category's).
    audience: str
    #: Details withheld until opened with a justification.
    withheld: bool


def audience(case: Case, category: Category | None) -> str:
    return stricter(case.handling, category.audience if category else "")


def may_see(principal: Principal, case: Case, category: Category | None) -> bool:
    """Whether the principal may read a person of ``category`` in ``case``."""
    proxy = SimpleNamespace(handling=audience(case, category), owner_unit_id=case.owner_unit_id,
                            need_to_know=case.need_to_know, on_team=case.on_team)
    return may_read(proxy, principal)


def processing_of(session: Session, record_type: str, ids: Sequence[int]
                  ) -> dict[int, Processing]:
    if not ids:
        return {}
    return {p.record_id: p for p in session.scalars(select(Processing).where(
        Processing.record_type == record_type, Processing.record_id.in_(list(ids))))}


def persons(session: Session, principal: Principal, case: Case,
            found: dict[int, Processing] | None = None) -> list[Person]:
    """The case's subjects the principal may see (a narrower audience hides the others);
    ``found``: their processing records when the caller fetched them already."""
    if found is None:
        found = processing_of(session, "subject", [s.id for s in case.subjects])
    out = []
    for subject in case.subjects:
        proc = found.get(subject.id)
        category = rules().category(proc.category) if proc and proc.category else None
        if not may_see(principal, case, category):
            continue
        out.append(Person(subject, proc, category, audience(case, category),
                          withheld=bool(category and category.sensitive)))
    return out


def narrowed(session: Session, case: Case) -> set[int]:
    """Ids of the case's subjects whose category shows them under a stricter code than
    the case's own (they must not be copied anywhere the case's code governs)."""
    found = processing_of(session, "subject", [s.id for s in case.subjects])
    out = set()
    for subject_id, proc in found.items():
        category = rules().category(proc.category) if proc.category else None
        if audience(case, category) != case.handling:
            out.add(subject_id)
    return out


def _subject(session: Session, principal: Principal, subject_id: int, *, write: bool = False
             ) -> tuple[Case, Subject, Processing | None, Category | None]:
    subject = session.get(Subject, subject_id) if storable_id(subject_id) else None
    if subject is None:
        raise NotFound.of('person', subject_id)
    case = (writable_case if write else get_case)(session, principal, subject.case_id)
    proc = processing_of(session, "subject", [subject.id]).get(subject.id)
    category = rules().category(proc.category) if proc and proc.category else None
    if not may_see(principal, case, category):
        audit.record(session, principal, "denied", PERSON, subject.id,
                     audience(case, category), detail="category audience")
        raise NotFound.of('person', subject_id)
    return case, subject, proc, category


def subject_for(session: Session, principal: Principal, subject_id: int
                ) -> tuple[Case, Subject, Processing | None, Category | None]:
    """A person of a case the principal may see (details not yet consulted)."""
    return _subject(session, principal, subject_id)


@dataclass(frozen=True)
class Consultation:
    case: Case
    person: Person
    statements: list[Statement]


def consult_subject(session: Session, principal: Principal, subject_id: int,
                    justification: str = "") -> Consultation:
    """Open a person's details; a sensitive category needs a justification, logged with the
    user and the time (the consultation log the Directive asks for)."""
    case, subject, proc, category = _subject(session, principal, subject_id)
    sensitive = bool(category and category.sensitive)
    if sensitive and not justification.strip():
        raise InputError.single("justification", N_(
            "a %(category)s is opened only with a justification (it is logged)",
            category=category.label.lower() if category else ""))
    detail = f"case {case.reference}"
    if justification.strip():
        detail += f"; justification: {justification.strip()[:1000]}"
    audit.record(session, principal, "consult", PERSON, subject.id, audience(case, category),
                 detail=detail)
    statements = list(session.scalars(select(Statement).where(
        Statement.subject_id == subject.id).order_by(Statement.id)))
    return Consultation(case, Person(subject, proc, category, audience(case, category),
                                     withheld=False), statements)


# --- purpose, legal basis and review date ----------------------------------------------------

def _not_one_of(value: str, allowed: str) -> str:
    return N_("%(value)s is not one of %(allowed)s", value=repr(value), allowed=allowed)


def _check_processing(spec: ProcessingSpec, record_type: str, problems: list[Problem]
                      ) -> Category | None:
    rule = rules()
    category = None
    if record_type == "subject":
        category = rule.category(spec.category)
        if category is None:
            keys = ", ".join(c.key for c in rule.categories)
            problems.append(Problem("processing.category", _not_one_of(spec.category, keys)))
    elif spec.category:
        problems.append(Problem("processing.category", N_("only persons carry a category")))
    if rule.purpose(spec.purpose) is None:
        problems.append(Problem("processing.purpose", _not_one_of(
            spec.purpose, ", ".join(p.key for p in rule.purposes))))
    if rule.legal_basis(spec.legal_basis) is None:
        problems.append(Problem("processing.legal_basis", _not_one_of(
            spec.legal_basis, ", ".join(b.key for b in rule.legal_bases))))
    return category


def _save_processing(session: Session, principal: Principal, record_type: str, record_id: int,
                     case_id: int | None, start: date, spec: ProcessingSpec,
                     months_if_no_category: int) -> Processing:
    problems: list[Problem] = []
    category = _check_processing(spec, record_type, problems)
    months = category.review_months if category else months_if_no_category
    latest = add_months(start, months)
    if spec.review_on is not None and spec.review_on > latest:
        problems.append(Problem("processing.review_on", N_(
            "at the latest %(latest)s (%(months)s months by the rules); extend it at review "
            "with a justification", latest=latest, months=months)))
    if problems:
        raise InputError(problems)
    proc = processing_of(session, record_type, [record_id]).get(record_id)
    review_on = spec.review_on or latest
    if proc is None:
        proc = Processing(record_type=record_type, record_id=record_id, case_id=case_id,
                          category=spec.category, purpose=spec.purpose,
                          legal_basis=spec.legal_basis, review_on=review_on,
                          updated_by=principal.username)
        session.add(proc)
    else:
        if proc.extensions and spec.review_on is None:
            review_on = proc.review_on  # a justified extension stays
        proc.category, proc.purpose, proc.legal_basis = (spec.category, spec.purpose,
                                                          spec.legal_basis)
        proc.review_on, proc.updated_by = review_on, principal.username
    session.flush()
    return proc


def set_case_processing(session: Session, principal: Principal, case_id: int,
                        spec: ProcessingSpec) -> Processing:
    case = writable_case(session, principal, case_id)
    proc = _save_processing(session, principal, "case", case.id, case.id, case.opened_on, spec,
                            rules().review.case)
    audit_case(session, principal, case, f"purpose {spec.purpose}, legal basis "
                                         f"{spec.legal_basis}, review on {proc.review_on}")
    return proc


def set_subject_processing(session: Session, principal: Principal, subject_id: int,
                           spec: ProcessingSpec) -> Processing:
    case, subject, _, _ = _subject(session, principal, subject_id, write=True)
    proc = _save_processing(session, principal, "subject", subject.id, case.id,
                            subject.created_at.date(), spec, rules().review.case)
    audit.record(session, principal, "update", PERSON, subject.id, audience(
        case, rules().category(spec.category)), detail=f"case {case.reference}: category "
        f"{spec.category}, purpose {spec.purpose}, legal basis {spec.legal_basis}, "
        f"review on {proc.review_on}")
    return proc


def set_set_processing(session: Session, principal: Principal, set_id: int,
                       spec: ProcessingSpec) -> Processing:
    from tocsin.money import sets

    item = sets.get_set(session, principal, set_id)
    require_write(principal, item.owner_unit_id)
    proc = _save_processing(session, principal, "transaction_set", item.id, None,
                            item.created_at.date(), spec, rules().review.transaction_set)
    audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                 detail=f"purpose {spec.purpose}, legal basis {spec.legal_basis}, "
                        f"review on {proc.review_on}")
    return proc


# --- statements --------------------------------------------------------------------------

def add_statement(session: Session, principal: Principal, case_id: int,
                  spec: StatementSpec) -> Statement:
    """A fact or an assessment with its source, grading and the provider's handling code."""
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    if not spec.text:
        problems.append(Problem("statement.text", N_("write the information")))
    if spec.nature not in NATURES:
        problems.append(Problem("statement.nature",
                                N_("say whether it is a fact or an assessment")))
    if not spec.source:
        problems.append(Problem("statement.source", N_("name the source")))
    if spec.subject_id is not None and spec.subject_id not in {s.id for s in case.subjects}:
        problems.append(Problem("statement.subject_id", N_("no person %(id)s in this case",
                                                           id=spec.subject_id)))
    scheme = spec.scheme or grading.grading().default
    grades = grading.check_grades(scheme, spec.grades, "statement", problems)
    code = grading.check_handling_code(spec.handling_code, spec.provider_restrictions,
                                       "statement", problems)
    if problems:
        raise InputError(problems)
    statement = Statement(case_id=case.id, subject_id=spec.subject_id, text=spec.text,
                          nature=spec.nature, source=spec.source, scheme=scheme, grades=grades,
                          handling_code=code, provider=spec.provider,
                          provider_restrictions=spec.provider_restrictions,
                          provider_consent=spec.provider_consent,
                          consent_note=spec.consent_note, recorded_by=principal.username)
    session.add(statement)
    session.flush()
    audit_case(session, principal, case, f"statement {statement.id} ({spec.nature}, "
                                         f"{scheme} {grade_text(statement)}, {code}) added")
    return statement


def get_statement(session: Session, principal: Principal, statement_id: int) -> Statement:
    """A statement of a case the principal may read, about a person they may see."""
    statement = session.get(Statement, statement_id) if storable_id(statement_id) else None
    if statement is None:
        raise NotFound.of('statement', statement_id)
    get_case(session, principal, statement.case_id)
    if statement.subject_id is not None:
        _subject(session, principal, statement.subject_id)
    return statement


def record_consent(session: Session, principal: Principal, statement_id: int,
                   note: str) -> Statement:
    """The provider consented to passing the statement on (or to its use as evidence)."""
    statement = session.get(Statement, statement_id) if storable_id(statement_id) else None
    if statement is None:
        raise NotFound.of('statement', statement_id)
    case = writable_case(session, principal, statement.case_id)
    if not note.strip():
        raise InputError.single("consent.note", N_("say who consented, when and how"))
    statement.provider_consent, statement.consent_note = True, note.strip()
    audit_case(session, principal, case, f"statement {statement.id}: provider's consent "
                                         f"recorded ({note.strip()[:500]})")
    return statement


def statements(session: Session, principal: Principal, case: Case) -> list[Statement]:
    """The case's statements, except those about persons withheld from this reader or whose
    details need a justification (they are shown when the person is opened)."""
    shown = {p.subject.id for p in persons(session, principal, case) if not p.withheld}
    return [s for s in session.scalars(select(Statement).where(
        Statement.case_id == case.id).order_by(Statement.id))
        if s.subject_id is None or s.subject_id in shown]


def grade_text(statement: Statement) -> str:
    scheme = grading.grading().scheme(statement.scheme)
    return scheme.written(statement.grades) if scheme else "?"


def grade_explained(statement: Statement) -> list[tuple[str, str]]:
    scheme = grading.grading().scheme(statement.scheme)
    return scheme.explained(statement.grades) if scheme else []


def handling_label(code: str) -> str:
    found = grading.handling_codes().get(code)
    return found.label if found else code


# --- onward transfer (exchange and export) ---------------------------------------------------

@dataclass(frozen=True)
class Transfer:
    exchange: Exchange
    package: dict[str, Any]


def transfer(session: Session, principal: Principal, case_id: int, spec: TransferSpec
             ) -> Transfer:
    """Pass statements and persons of a case on to another authority.

    Refused as a whole, naming each statement and why, when a provider's handling code
    forbids it (H2 without consent, H1 as evidence without consent, H3 without the
    sender's confirmation). Otherwise recorded in the case's record of exchanges with
    what went to whom, and logged as a disclosure with the justification and recipient.
    """
    from tocsin.cases.requests import record_exchange
    from tocsin.cases.spec import ExchangeSpec

    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    if not spec.statement_ids and not spec.subject_ids:
        problems.append(Problem("transfer.statement_ids", N_("choose what to pass on")))
    if not spec.justification:
        problems.append(Problem("transfer.justification", N_("say why it is passed on")))
    wanted = [i for i in spec.statement_ids if storable_id(i)]
    chosen = list(session.scalars(select(Statement).where(
        Statement.case_id == case.id, Statement.id.in_(wanted))))
    for missing in sorted(set(spec.statement_ids) - {s.id for s in chosen}):
        problems.append(Problem("transfer.statement_ids", N_("no statement %(id)s in this case",
                                                             id=missing)))
    visible = {p.subject.id: p for p in persons(session, principal, case)}
    for missing in sorted(set(spec.subject_ids) - set(visible)):
        problems.append(Problem("transfer.subject_ids", N_("no person %(id)s in this case",
                                                           id=missing)))
    for s in chosen:
        if s.subject_id is not None and s.subject_id not in visible:
            problems.append(Problem("transfer.statement_ids", N_(
                "no statement %(id)s in this case", id=s.id)))
            continue
        for reason in grading.transfer_refusals(
                s.handling_code, consent=s.provider_consent, as_evidence=spec.as_evidence,
                restrictions=s.provider_restrictions, restrictions_met=spec.restrictions_met):
            problems.append(Problem("transfer.statement_ids", N_(
                "statement %(id)s (from %(provider)s): %(reason)s", id=s.id,
                provider=s.provider or s.source, reason=reason)))
    if problems:
        raise InputError(problems, summary=N_("nothing was passed on"))
    restrictions = "; ".join(sorted({f"{s.handling_code}: {s.provider_restrictions}"
                                     for s in chosen if s.provider_restrictions}))
    what = (f"{len(chosen)} graded statement(s) and {len(spec.subject_ids)} person(s)"
            + (" for use as evidence" if spec.as_evidence else ""))
    exchange = record_exchange(session, principal, case.id, ExchangeSpec(
        direction="sent", what=what, counterpart=spec.counterpart, country=spec.country,
        channel=spec.channel, handling=case.handling, restrictions=restrictions[:4000]))
    people = [visible[i] for i in spec.subject_ids]
    for s in chosen:
        session.add(Transmission(case_id=case.id, exchange_id=exchange.id, statement_id=s.id,
                                 subject_id=s.subject_id, as_evidence=spec.as_evidence))
    for p in people:
        session.add(Transmission(case_id=case.id, exchange_id=exchange.id,
                                 subject_id=p.subject.id, as_evidence=spec.as_evidence))
    session.flush()
    recipient = spec.counterpart + (f" ({spec.country})" if spec.country else "")
    for p in people:
        audit.record(session, principal, "disclose", PERSON, p.subject.id, p.audience,
                     detail=f"to {recipient}; exchange {exchange.id}; justification: "
                            f"{spec.justification[:1000]}")
    audit_case(session, principal, case, f"exchange {exchange.id}: {what} disclosed to "
                                         f"{recipient}; justification: "
                                         f"{spec.justification[:1000]}", action="disclose")
    package = {
        "case": case.reference, "sent_by": principal.username,
        "recipient": spec.counterpart, "country": spec.country,
        "at": exchange.at.isoformat(), "as_evidence": spec.as_evidence,
        "tlp": case.handling,
        "statements": [{
            "id": s.id, "text": s.text, "nature": s.nature, "source": s.source,
            "scheme": s.scheme, "grades": s.grades, "grade": grade_text(s),
            "handling_code": s.handling_code, "provider": s.provider,
            "provider_restrictions": s.provider_restrictions} for s in chosen],
        "persons": [{"id": p.subject.id, "schema": p.subject.schema,
                     "caption": p.subject.caption, "properties": p.subject.properties,
                     "category": p.category.key if p.category else None} for p in people]}
    return Transfer(exchange, package)


def transmissions(session: Session, case: Case) -> list[tuple[Transmission, Exchange]]:
    return [(t, e) for t, e in session.execute(
        select(Transmission, Exchange).join(Exchange, Exchange.id == Transmission.exchange_id)
        .where(Transmission.case_id == case.id).order_by(Transmission.id))]


# --- corrections and erasure reach every recipient ------------------------------------------

def _recipients(session: Session, case_id: int, *, statement_id: int | None = None,
                subject_id: int | None = None) -> list[Exchange]:
    stmt = select(Exchange).join(Transmission, Transmission.exchange_id == Exchange.id).where(
        Transmission.case_id == case_id)
    if statement_id is not None:
        stmt = stmt.where(Transmission.statement_id == statement_id)
    if subject_id is not None:
        about = select(Statement.id).where(Statement.subject_id == subject_id)
        stmt = stmt.where((Transmission.subject_id == subject_id)
                          | Transmission.statement_id.in_(about))
    return list({e.id: e for e in session.scalars(stmt)}.values())


def _notify(session: Session, principal: Principal, case: Case, exchanges: list[Exchange],
            kind: str, message: str) -> list[Notification]:
    out = []
    for e in exchanges:
        item = Notification(case_id=case.id, case_reference=case.reference,
                            owner_unit_id=case.owner_unit_id, exchange_id=e.id,
                            recipient=e.counterpart,
                            country=e.country, kind=kind, message=message,
                            created_by=principal.username)
        session.add(item)
        out.append(item)
    session.flush()
    return out


def correct_statement(session: Session, principal: Principal, statement_id: int,
                      spec: CorrectionSpec) -> list[Notification]:
    """Correct a statement; every recipient it was passed to gets a notification."""
    statement = session.get(Statement, statement_id) if storable_id(statement_id) else None
    if statement is None:
        raise NotFound.of('statement', statement_id)
    case = writable_case(session, principal, statement.case_id)
    if statement.subject_id is not None:
        _subject(session, principal, statement.subject_id)
    problems = []
    if not spec.text:
        problems.append(Problem("correction.text", N_("write the corrected information")))
    if not spec.reason:
        problems.append(Problem("correction.reason", N_("say why it is corrected")))
    if problems:
        raise InputError(problems)
    statement.text, statement.corrected_at = spec.text, datetime.now(UTC)
    sent = _recipients(session, case.id, statement_id=statement.id)
    notes = _notify(session, principal, case, sent, "correction",
                    f"Case {case.reference}: information sent on "
                    f"{', '.join(sorted({e.at.date().isoformat() for e in sent}))} was "
                    f"corrected. Corrected text: {spec.text}. Reason: {spec.reason}")
    audit_case(session, principal, case, f"statement {statement.id} corrected ({spec.reason}); "
                                         f"{len(notes)} recipient(s) to notify")
    return notes


def erase_subject(session: Session, principal: Principal, subject_id: int,
                  spec: ErasureSpec) -> list[Notification]:
    """Erase a person everywhere the platform copied it: the case's subject, the statements
    about it, the screening registry's copy, an asset's owner, its processing record.
    Every recipient it was passed to gets a notification; the audit entry keeps no content."""
    case, subject, _, category = _subject(session, principal, subject_id, write=True)
    if not spec.reason:
        raise InputError.single("erasure.reason", N_("say why the person is erased"))
    sent = _recipients(session, case.id, subject_id=subject.id)
    notes = _notify(session, principal, case, sent, "erasure",
                    f"Case {case.reference}: personal data of person record {subject.id}, "
                    f"sent on {', '.join(sorted({e.at.date().isoformat() for e in sent}))}, "
                    f"was erased. Erase your copies. Reason: {spec.reason}")
    _forget(session, case, subject)
    letters = _strike_from_requests(session, case, subject)
    session.execute(delete(Statement).where(Statement.subject_id == subject.id))
    session.execute(update(Transmission).where(Transmission.subject_id == subject.id)
                    .values(subject_id=None))
    session.execute(update(Asset).where(Asset.owner_subject_id == subject.id)
                    .values(owner_subject_id=None))
    session.execute(delete(Processing).where(Processing.record_type == "subject",
                                             Processing.record_id == subject.id))
    case.subjects.remove(subject)
    session.flush()
    audit.record(session, principal, "erase", PERSON, subject_id, audience(case, category),
                 detail=f"case {case.reference}: person erased ({spec.reason[:500]}); "
                        f"{len(notes)} recipient(s) to notify; {letters} letter(s) naming "
                        "the person removed")
    return notes


ERASED = "[erased person]"
_REQUEST_TEXTS = ("subject_matter", "facts", "assistance", "procedure", "persons", "purpose")


def _strike_from_requests(session: Session, case: Case, subject: Subject) -> int:
    """Take the person's names out of the case's co-operation requests and remove the
    letters generated from a request that named them (the letter files are copies); the
    number of letters removed. Exchanges that sent a letter keep their entry, without it."""
    from tocsin.cases.tables import CaseDocument

    names = sorted({n.strip() for n in [subject.caption, *subject.properties.get("name", []),
                                        *subject.properties.get("alias", [])]
                    if len(n.strip()) >= 3}, key=len, reverse=True)
    if not names:
        return 0
    removed = 0
    for request in case.requests:
        named = False
        for field_name in _REQUEST_TEXTS:
            text = getattr(request, field_name) or ""
            cleaned = text
            for name in names:
                cleaned = _replace_casefold(cleaned, name, ERASED)
            if cleaned != text:
                setattr(request, field_name, cleaned)
                named = True
        if named:
            ids = list(session.scalars(select(CaseDocument.id).where(
                CaseDocument.request_id == request.id)))
            if ids:
                session.execute(update(Exchange).where(Exchange.document_id.in_(ids))
                                .values(document_id=None))
                session.execute(delete(CaseDocument).where(CaseDocument.id.in_(ids)))
                removed += len(ids)
    return removed


def _replace_casefold(text: str, old: str, new: str) -> str:
    """``text`` with every occurrence of ``old`` replaced, ignoring case."""
    import re

    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)


def _forget(session: Session, case: Case, subject: Subject) -> None:
    """Remove the screening registry's copy of a case subject (kept for re-screening)."""
    from tocsin.cases.records import subject_entity
    from tocsin.screening.tables import ScreenedSubject

    key = str(subject_entity(case, subject)["id"])
    ids = list(session.scalars(unguarded_select(
        ScreenedSubject.id, why="erasure removes every copy of a person, whoever reads")
        .where(ScreenedSubject.subject_key == key)))
    for row_id in ids:
        session.execute(delete(ScreenedSubject).where(ScreenedSubject.id == row_id))


def anonymise_subject(session: Session, principal: Principal, subject_id: int,
                      spec: ErasureSpec) -> Subject:
    """Keep the record for statistics but remove what identifies the person."""
    case, subject, proc, category = _subject(session, principal, subject_id, write=True)
    if not spec.reason:
        raise InputError.single("erasure.reason", N_("say why the person is anonymised"))
    _forget(session, case, subject)
    subject.caption = f"Anonymised {subject.schema.lower()} {subject.id}"
    subject.properties, subject.screening = {}, None
    session.execute(update(Statement).where(Statement.subject_id == subject.id)
                    .values(text="[anonymised]", source="[anonymised]"))
    if proc is not None:
        proc.anonymised, proc.updated_by = True, principal.username
    session.flush()
    audit.record(session, principal, "update", PERSON, subject.id, audience(case, category),
                 detail=f"case {case.reference}: person anonymised ({spec.reason[:500]})")
    return subject


def notifications(session: Session, case: Case) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.case_id == case.id).order_by(Notification.id)))


def pending_notices(session: Session, principal: Principal) -> list[Notification]:
    """Notices not yet sent, of cases the principal may read, and of deleted cases of the
    principal's unit (all of them for an administrator)."""
    from tocsin.access.policy import readable
    from tocsin.access.roles import Role

    open_ = select(Notification).where(Notification.sent_on.is_(None))
    out = []
    cases = {c.id for c in session.scalars(readable(Case, principal).where(Case.id.in_(
        select(Notification.case_id).where(Notification.sent_on.is_(None)))))}
    for item in session.scalars(open_.order_by(Notification.id)):
        if item.case_id is not None:
            if item.case_id in cases:
                out.append(item)
        elif principal.role is Role.ADMINISTRATOR or item.owner_unit_id == principal.unit_id:
            out.append(item)
    return out


def mark_sent(session: Session, principal: Principal, notification_id: int,
              on: date | None = None) -> Notification:
    item = session.get(Notification, notification_id) if storable_id(notification_id) else None
    if item is None:
        raise NotFound.of('notification', notification_id)
    handling = ""
    if item.case_id is not None:
        handling = writable_case(session, principal, item.case_id).handling
    else:
        require_write(principal, item.owner_unit_id)
    item.sent_on = on or date.today()
    audit.record(session, principal, "update", "case", item.case_id or "", handling,
                 detail=f"case {item.case_reference}: {item.kind} notice {item.id} sent to "
                        f"{item.recipient}")
    return item
