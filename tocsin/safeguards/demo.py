"""The demo workspace's data-protection content, on the fictional asset-recovery case.

Persons of three categories (a suspect, a victim, a witness whose review is due), graded
information under the three schemes and the provider handling codes, a transfer recorded
in the record of exchanges, purpose and legal basis of the case. The data-protection
officer of the demo (``dpo``) runs the subject-access report of the suspect at
``/safeguards/access-report``. Everything is invented; every step goes through the same
library functions as a user's would, so every step is audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.access.principal import Principal
from tocsin.cases import records
from tocsin.cases.demo import PLATFORM, REFERENCE
from tocsin.cases.spec import SubjectSpec
from tocsin.cases.tables import Case
from tocsin.i18n import N_
from tocsin.safeguards import records as sg
from tocsin.safeguards.spec import ProcessingSpec, StatementSpec, TransferSpec
from tocsin.safeguards.tables import Statement
from tocsin.settings import Settings

SUSPECT = "Marek Fictionalson"
VICTIM = "Lina Inventa"
WITNESS = "Tomas Madeup"


def load(session: Session, _settings: Settings, today: date | None = None) -> str:
    """Add the data-protection content to the demo case once (idempotent)."""
    case_id = session.scalar(unguarded_select(Case.id, why=PLATFORM)
                             .where(Case.reference == REFERENCE))
    if case_id is None:
        return N_("Data protection: skipped, the fictional asset-recovery case is missing")
    if session.scalar(select(Statement.id).where(Statement.case_id == case_id)) is not None:
        return N_("Data protection: already present")
    day = today or date.today()
    system = Principal.system()
    sg.set_case_processing(session, system, case_id, ProcessingSpec(
        purpose="asset_recovery", legal_basis="untoc_art18"))
    people = {}
    for name, category, extra in (
            (SUSPECT, "suspect", {"birthDate": ["1979-04-02"], "nationality": ["md"]}),
            (VICTIM, "victim", {}), (WITNESS, "witness", {})):
        subject = records.add_subject(session, system, case_id, SubjectSpec.model_validate({
            "schema": "Person", "properties": {"name": [name], **extra,
                                               "notes": ["Fictional person of the demo"]}}))
        people[category] = subject.id
        sg.set_subject_processing(session, system, subject.id, ProcessingSpec(
            category=category, purpose="asset_recovery", legal_basis="ccp_investigation",
            # the witness's review falls due (the demo shows the review queue with it)
            review_on=day - timedelta(days=3) if category == "witness" else None))
    facts = sg.add_statement(session, system, case_id, StatementSpec(
        text=f"{SUSPECT} is the sole signatory of the sending account (fictional).",
        nature="fact", source="Fictional bank's account opening file",
        subject_id=people["suspect"], scheme="6x6", grades={"source": "B", "information": "1"},
        handling_code="H0", provider="Fictional Financial Intelligence Unit (demo)"))
    sg.add_statement(session, system, case_id, StatementSpec(
        text=f"{SUSPECT} is believed to control further accounts abroad (fictional).",
        nature="assessment", source="Fictional liaison officer", subject_id=people["suspect"],
        scheme="4x4", grades={"source": "C", "information": "3"}, handling_code="H2",
        provider="Fictional Police of Xland (demo)"))
    sg.add_statement(session, system, case_id, StatementSpec(
        text=f"{VICTIM} was pressured to lend her account (fictional).", nature="fact",
        source="Fictional victim interview", subject_id=people["victim"], scheme="3x5x2",
        grades={"source": "1", "information": "A", "sharing": "C"}, handling_code="H3",
        provider="Fictional Public Prosecutor's Office (demo)",
        provider_restrictions="Not to be shared outside judicial authorities (fictional)"))
    sg.transfer(session, system, case_id, TransferSpec(
        statement_ids=[facts.id], subject_ids=[people["suspect"]],
        counterpart="Fictional Ministry of Justice of the requested State (demo)",
        channel="Secure e-mail (fictional)",
        justification="Supporting the fictional MLA request DEMO-MLA-1"))
    return N_("Data protection: 3 persons (suspect, victim, witness with a review due), 3 "
              "graded statements (6x6, 4x4 H2, 3x5x2 H3), 1 transfer; subject-access report of "
              "%(suspect)s for the data-protection officer", suspect=SUSPECT)
