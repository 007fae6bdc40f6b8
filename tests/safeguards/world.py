"""The data-protection records of the shared web test world (``tests/web/world.py``) and an
example request for each state-changing route of ``/safeguards`` and
``/api/v1/safeguards``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.web.routes import ALL, UNIT_WRITERS, Example
from tocsin.access.principal import Principal
from tocsin.cases.tables import Subject
from tocsin.safeguards import records as sg
from tocsin.safeguards.spec import CorrectionSpec, ProcessingSpec, StatementSpec, TransferSpec

W = UNIT_WRITERS
BASIS = {"purpose": "investigation", "legal_basis": "ccp_investigation"}


def seed(session: Session, ids: dict[str, Any]) -> None:
    """On the world case (seeded by ``tests/cases/world.py``): its person as a suspect, the
    case's legal basis, a graded statement passed on and corrected (a notice to send)."""
    system = Principal.system()
    subject = session.scalars(select(Subject).where(Subject.case_id == ids["case"])).first()
    assert subject is not None
    ids["case_subject"] = subject.id
    ids["sg_processing"] = sg.set_subject_processing(session, system, subject.id, ProcessingSpec(
        category="suspect", **BASIS)).id
    sg.set_case_processing(session, system, ids["case"], ProcessingSpec(**BASIS))
    statement = sg.add_statement(session, system, ids["case"], StatementSpec(
        text="World information", nature="fact", source="World source",
        subject_id=subject.id, grades={"source": "B", "information": "2"},
        handling_code="H2", provider="World provider"))
    ids["sg_statement"] = statement.id
    sg.record_consent(session, system, statement.id, "World consent")
    sg.transfer(session, system, ids["case"], TransferSpec(
        statement_ids=[statement.id], counterpart="World prosecutor", justification="World"))
    ids["sg_notice"] = sg.correct_statement(session, system, statement.id, CorrectionSpec(
        text="World information, corrected", reason="World reason"))[0].id


PARAMS = {"processing_id": "sg_processing", "statement_id": "sg_statement",
          "notice_id": "sg_notice"}
PERSON = {"subject_id": "case_subject"}
READERS = ALL - {"partner_viewer"}

EXAMPLES: dict[str, Example] = {
    "POST /api/v1/safeguards/cases/{case_id}/statements": Example(W, json=lambda i: {
        "text": "New", "nature": "assessment", "source": "Liaison",
        "grades": {"source": "A", "information": "1"}}),
    "POST /api/v1/safeguards/cases/{case_id}/transfer": Example(W, json=lambda i: {
        "statement_ids": [i["sg_statement"]], "counterpart": "World court",
        "justification": "trial"}),
    "POST /safeguards/processing/{processing_id}/extend": Example(W, form=lambda i: {
        "months": "6", "justification": "Still needed"}),
    "POST /safeguards/processing/{processing_id}/anonymise": Example(W, form=lambda i: {
        "reason": "done"}),
    "POST /safeguards/processing/{processing_id}/delete": Example(W, form=lambda i: {
        "reason": "done"}),
    "POST /safeguards/notices/{notice_id}/sent": Example(W),
    "POST /safeguards/sets/{set_id}/processing": Example(W, form=lambda i: {
        "purpose": "financial_analysis", "legal_basis": "aml_fiu"}),
    "POST /safeguards/cases/{case_id}/processing": Example(W, form=lambda i: {
        "purpose": "asset_recovery", "legal_basis": "untoc_art18"}),
    "POST /safeguards/cases/{case_id}/statements": Example(W, form=lambda i: {
        "text": "New", "nature": "fact", "source": "Registry", "scheme": "6x6",
        "grade": "A1", "handling_code": "H0"}),
    "POST /safeguards/statements/{statement_id}/consent": Example(W, form=lambda i: {
        "note": "Agreed again"}),
    "POST /safeguards/statements/{statement_id}/correct": Example(W, form=lambda i: {
        "text": "Corrected again", "reason": "typo"}),
    "POST /safeguards/cases/{case_id}/transfer": Example(W, form=lambda i: {
        "statement_ids": str(i["sg_statement"]), "counterpart": "World court",
        "justification": "trial"}),
    "POST /safeguards/subjects/{subject_id}/consult": Example(
        READERS, form=lambda i: {"justification": "checking"}, params=PERSON),
    "POST /safeguards/subjects/{subject_id}/processing": Example(W, form=lambda i: {
        "category": "convicted", **BASIS}, params=PERSON),
    "POST /safeguards/subjects/{subject_id}/erase": Example(W, form=lambda i: {
        "reason": "acquitted"}, params=PERSON),
    "POST /safeguards/activities/{activity_id}/markers": Example(W, form=lambda i: {
        "marker:99:human_rights": "1"}),
}
