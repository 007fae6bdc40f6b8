"""The subject-access report: everything the platform holds about a person.

For a data subject's request (or an oversight authority's) the data-protection officer
searches by name; the report lists, for every case in which a matching person is
recorded, the person's details, category, purpose, legal basis and review date, the
statements about them with grading and source, to whom they were passed on, the copy the
screening registry keeps, and who consulted them. It covers every case whoever reads it:
only a role with the oversight permission may run it, and running it is logged (with the
number of records found, not the name asked for).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import require, unguarded_get, unguarded_select
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.access.tables import AuditEntry
from tocsin.cases.tables import Case, Exchange, Subject
from tocsin.errors import InputError
from tocsin.safeguards import records
from tocsin.safeguards.config import rules
from tocsin.safeguards.tables import Processing, Statement, Transmission

WHY = "a subject-access report covers every record of the person, whoever asks"


def normal(text: str) -> str:
    """Case, accents and spacing ignored: ``"  Ána  MARIA"`` → ``"ana maria"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


@dataclass
class Entry:
    case: Case
    subject: Subject
    processing: Processing | None
    statements: list[Statement] = field(default_factory=list)
    sent: list[tuple[Exchange, bool]] = field(default_factory=list)
    screening_copies: int = 0
    consultations: list[AuditEntry] = field(default_factory=list)

    @property
    def category(self) -> str:
        if self.processing is None or not self.processing.category:
            return "not recorded"
        found = rules().category(self.processing.category)
        return found.label if found else self.processing.category


@dataclass
class Report:
    query: str
    made_on: date
    entries: list[Entry]

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "made_on": self.made_on.isoformat(), "records": [{
            "case": e.case.reference, "case_title": e.case.title, "tlp": e.case.handling,
            "person": {"id": e.subject.id, "schema": e.subject.schema,
                       "caption": e.subject.caption, "properties": e.subject.properties},
            "category": e.category,
            "purpose": e.processing.purpose if e.processing else None,
            "legal_basis": e.processing.legal_basis if e.processing else None,
            "review_on": e.processing.review_on.isoformat() if e.processing else None,
            "statements": [{"id": s.id, "text": s.text, "nature": s.nature,
                            "source": s.source, "grade": records.grade_text(s),
                            "scheme": s.scheme, "handling_code": s.handling_code}
                           for s in e.statements],
            "passed_on_to": [{"recipient": x.counterpart, "country": x.country,
                              "at": x.at.isoformat(), "as_evidence": ev}
                             for x, ev in e.sent],
            "screening_copies": e.screening_copies,
            "consultations": [{"at": a.at.isoformat(), "user": a.username,
                               "action": a.action, "detail": a.detail}
                              for a in e.consultations]} for e in self.entries]}


def _names(subject: Subject) -> set[str]:
    values = [subject.caption, *subject.properties.get("name", []),
              *subject.properties.get("alias", [])]
    return {normal(v) for v in values if v}


def subject_access(session: Session, principal: Principal, name: str,
                   birth_date: str = "") -> Report:
    """Every record of persons whose name (or alias) is ``name``; with ``birth_date``
    (YYYY-MM-DD) only those whose recorded birth date matches or is not recorded."""
    from tocsin.screening.tables import ScreenedSubject

    require(principal, Action.OVERSEE)
    wanted = normal(name)
    if len(wanted) < 3:
        raise InputError.single("name", "give the person's name (at least 3 letters)")
    entries = []
    for subject in session.scalars(select(Subject).where(Subject.schema == "Person")
                                   .order_by(Subject.id)):
        if wanted not in _names(subject):
            continue
        born = subject.properties.get("birthDate", [])
        if birth_date and born and birth_date not in born:
            continue
        case = unguarded_get(session, Case, subject.case_id, why=WHY)
        if case is None:
            continue
        entry = Entry(case, subject,
                      records.processing_of(session, "subject", [subject.id]).get(subject.id))
        entry.statements = list(session.scalars(select(Statement).where(
            Statement.subject_id == subject.id).order_by(Statement.id)))
        about = [s.id for s in entry.statements]
        sent = session.execute(
            select(Exchange, Transmission.as_evidence)
            .join(Transmission, Transmission.exchange_id == Exchange.id)
            .where((Transmission.subject_id == subject.id)
                   | Transmission.statement_id.in_(about or [-1])))
        entry.sent = list({e.id: (e, ev) for e, ev in sent}.values())
        key = f"tocsin-case-{case.id}-subject-{subject.id}"
        entry.screening_copies = len(list(session.scalars(unguarded_select(
            ScreenedSubject.id, why=WHY).where(ScreenedSubject.subject_key == key))))
        entry.consultations = list(session.scalars(select(AuditEntry).where(
            AuditEntry.record_type == records.PERSON, AuditEntry.action.in_(
                ("consult", "disclose")),
            AuditEntry.record_id == str(subject.id)).order_by(AuditEntry.id)))
        entries.append(entry)
    audit.record(session, principal, "read", "subject_access_report", "",
                 detail=f"{len(entries)} record(s) found")
    for entry in entries:
        audit.record(session, principal, "consult", records.PERSON, entry.subject.id,
                     records.audience(entry.case, rules().category(
                         entry.processing.category if entry.processing else "")),
                     detail=f"case {entry.case.reference}; justification: subject-access "
                            "report")
    return Report(name, date.today(), entries)
