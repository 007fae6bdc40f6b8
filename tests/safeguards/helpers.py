"""A fictional case with persons of several categories, for the safeguard tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tests.cases import helpers
from tests.cases.helpers import user
from tocsin.access.principal import Principal
from tocsin.cases import records
from tocsin.cases.spec import SubjectSpec
from tocsin.cases.tables import Case, Subject
from tocsin.safeguards import records as sg
from tocsin.safeguards.spec import ProcessingSpec

__all__ = ["case", "person", "user"]


def case(session: Session, principal: Principal, reference: str = "CASE-1", *,
         handling: str = "AMBER", opened_on: date = date(2024, 1, 10)) -> Case:
    """A case opened in the past (information is exchanged after it was opened)."""
    return helpers.case(session, principal, reference, handling=handling, opened_on=opened_on)


def person(session: Session, principal: Principal, the_case: Case, name: str,
           category: str, **properties: list[str]) -> Subject:
    subject = records.add_subject(session, principal, the_case.id, SubjectSpec(
        schema="Person", properties={"name": [name], **properties}))
    sg.set_subject_processing(session, principal, subject.id, ProcessingSpec(
        category=category, purpose="investigation", legal_basis="ccp_investigation"))
    return subject
