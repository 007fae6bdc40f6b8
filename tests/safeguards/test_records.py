"""Whose data, graded statements, the handling codes on the exchange path, review dates,
erasure everywhere, corrections reaching every recipient, the subject-access report and
the oversight of the log (both engines)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.safeguards.helpers import case, person, user
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.access.users import unit_by_code
from tocsin.cases import letters, requests
from tocsin.cases.spec import RequestSpec
from tocsin.cases.tables import Case, CaseDocument, Exchange, Subject
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.safeguards import oversight, report, review
from tocsin.safeguards import records as sg
from tocsin.safeguards.records import add_months
from tocsin.safeguards.spec import (
    CorrectionSpec,
    ErasureSpec,
    ExtensionSpec,
    ProcessingSpec,
    StatementSpec,
    TransferSpec,
)
from tocsin.safeguards.tables import Processing, Statement, Transmission
from tocsin.screening.tables import ScreenedSubject
from tocsin.search.tables import SearchDocument
from tocsin.settings import Settings
from tocsin.store.database import Database

FIXTURE = Path(__file__).parents[1] / "fixtures" / "money" / "amlworld" / "Tiny_Trans.csv"


def _statement(s, analyst, case_id, code="H0", subject_id=None, consent=False, **extra):  # type: ignore[no-untyped-def]
    return sg.add_statement(s, analyst, case_id, StatementSpec(
        text=extra.pop("text", f"Fictional information under {code}"), nature="fact",
        source="Fictional liaison officer", subject_id=subject_id, scheme="4x4",
        grades={"source": "B", "information": "2"}, handling_code=code,
        provider="Fictional police of Xland", provider_consent=consent, **extra))


def _audit(s, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_h2_information_is_not_passed_on_without_the_providers_consent(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        c = case(s, analyst)
        suspect = person(s, analyst, c, "Ivan Fictional", "suspect")
        free = _statement(s, analyst, c.id, "H0", suspect.id)
        held = _statement(s, analyst, c.id, "H2", suspect.id)
        assert sg.grade_text(held) == "B2"
        with pytest.raises(InputError) as refused:
            sg.transfer(s, analyst, c.id, TransferSpec(
                statement_ids=[free.id, held.id], subject_ids=[suspect.id],
                counterpart="Fictional prosecutor", country="AT", justification="MLA"))
        reasons = [p.reason for p in refused.value.problems]
        assert len(reasons) == 1
        assert f"statement {held.id}" in reasons[0] and "not consented" in reasons[0]
        assert s.scalar(select(func.count()).select_from(Exchange)) == 0  # nothing half-done
        assert s.scalar(select(func.count()).select_from(Transmission)) == 0
        # H1 may go on, but not as evidence
        h1 = _statement(s, analyst, c.id, "H1")
        with pytest.raises(InputError, match="use as evidence"):
            sg.transfer(s, analyst, c.id, TransferSpec(
                statement_ids=[h1.id], counterpart="Court", as_evidence=True,
                justification="trial"))
        # H3 only once the sender confirms the provider's restrictions
        h3 = _statement(s, analyst, c.id, "H3", provider_restrictions="police use only")
        with pytest.raises(InputError, match="police use only"):
            sg.transfer(s, analyst, c.id, TransferSpec(
                statement_ids=[h3.id], counterpart="Police", justification="follow-up"))
        sg.record_consent(s, analyst, held.id, "Provider agreed by secure message, 3 May")
        done = sg.transfer(s, analyst, c.id, TransferSpec(
            statement_ids=[free.id, held.id], subject_ids=[suspect.id],
            counterpart="Fictional prosecutor", country="AT", justification="MLA request"))
        assert done.exchange.direction == "sent" and done.exchange.counterpart == \
            "Fictional prosecutor"
        assert [x["grade"] for x in done.package["statements"]] == ["B2", "B2"]
        assert done.package["persons"][0]["category"] == "suspect"
        disclosed = _audit(s, "disclose")
        assert any(e.record_type == "data_subject" and "Fictional prosecutor (AT)" in e.detail
                   and "justification: MLA request" in e.detail for e in disclosed)


def test_victims_have_a_narrower_audience_and_need_a_justification(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        colleague = user(s, "analyst", name="colleague")
        outsider = user(s, "analyst", "oceea", name="outsider")
        c = case(s, analyst, handling="AMBER")
        suspect = person(s, analyst, c, "Ivan Fictional", "suspect")
        victim = person(s, analyst, c, "Vera Fictional", "victim")
        _statement(s, analyst, c.id, subject_id=victim.id, text="Vera was threatened")
        # another unit reads the AMBER case, but not its victim (AMBER+STRICT)
        assert [p.subject.id for p in sg.persons(s, outsider, c)] == [suspect.id]
        with pytest.raises(NotFound):
            sg.consult_subject(s, outsider, victim.id, "curious")
        assert any(e.record_id == str(victim.id) for e in _audit(s, "denied"))
        # the same unit sees that there is a victim, details withheld
        seen = {p.subject.id: p for p in sg.persons(s, colleague, c)}
        assert seen[victim.id].withheld and not seen[suspect.id].withheld
        assert all(st.subject_id != victim.id for st in sg.statements(s, colleague, c))
        with pytest.raises(InputError, match="justification"):
            sg.consult_subject(s, colleague, victim.id, "")
        opened = sg.consult_subject(s, colleague, victim.id, "Preparing the hearing")
        assert [st.text for st in opened.statements] == ["Vera was threatened"]
        entry = _audit(s, "consult")[-1]
        assert entry.username == "colleague" and entry.record_id == str(victim.id)
        assert "justification: Preparing the hearing" in entry.detail
        assert entry.handling == "AMBER+STRICT"


def test_review_dates_follow_the_category_and_extensions_are_justified(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        c = case(s, analyst, opened_on=date(2024, 1, 10))
        proc = sg.set_case_processing(s, analyst, c.id, ProcessingSpec(
            purpose="investigation", legal_basis="ccp_investigation"))
        assert proc.review_on == date(2029, 1, 10)  # 60 months
        victim = person(s, analyst, c, "Vera Fictional", "victim")
        suspect = person(s, analyst, c, "Ivan Fictional", "suspect")
        created = victim.created_at.date()
        procs = sg.processing_of(s, "subject", [victim.id, suspect.id])
        assert procs[victim.id].review_on == add_months(created, 12)
        assert procs[suspect.id].review_on == add_months(created, 36)
        with pytest.raises(InputError) as late:
            sg.set_subject_processing(s, analyst, victim.id, ProcessingSpec(
                category="victim", purpose="investigation", legal_basis="ccp_investigation",
                review_on=created + timedelta(days=800)))
        assert late.value.problems[0].location == "processing.review_on"
        with pytest.raises(InputError) as bad:
            sg.set_subject_processing(s, analyst, victim.id, ProcessingSpec(
                category="bystander", purpose="fun", legal_basis="none"))
        assert {p.location for p in bad.value.problems} == {
            "processing.category", "processing.purpose", "processing.legal_basis"}
        # the queue a year on: the victim is due, the suspect is not
        later = created + timedelta(days=370)
        due = review.queue(s, analyst, today=later)
        titles = [i.title for i in due]
        assert any("Victim (details withheld)" in t for t in titles)
        assert not any("Ivan" in t for t in titles)
        with pytest.raises(InputError, match="still needed"):
            review.extend(s, analyst, procs[victim.id].id,
                          ExtensionSpec(months=6, justification=""))
        review.extend(s, analyst, procs[victim.id].id, ExtensionSpec(
            months=6, justification="Trial set for next spring"), today=later)
        assert procs[victim.id].review_on == add_months(later, 6)
        assert any("Trial set for next spring" in e.detail for e in _audit(s, "update"))
        with pytest.raises(PermissionDenied):
            review.extend(s, user(s, "fund_manager", name="fm"), proc.id,
                          ExtensionSpec(months=6, justification="x"))


def test_erasure_removes_every_copy_and_notifies_every_recipient(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        c = case(s, analyst)
        suspect = person(s, analyst, c, "Ivan Fictional", "suspect")
        other = person(s, analyst, c, "Olga Fictional", "contact")
        about = _statement(s, analyst, c.id, subject_id=suspect.id, text="Ivan owns a boat")
        s.add(ScreenedSubject(subject_key=f"tocsin-case-{c.id}-subject-{suspect.id}",
                              schema="Person", caption="Ivan Fictional", properties={},
                              origin=f"case {c.reference}", handling="AMBER",
                              owner_unit_id=c.owner_unit_id))
        for recipient in ("Prosecutor A", "Police B"):
            sg.transfer(s, analyst, c.id, TransferSpec(
                statement_ids=[about.id], counterpart=recipient, justification="JIT"))
        sg.transfer(s, analyst, c.id, TransferSpec(subject_ids=[other.id],
                                                   counterpart="Court C", justification="x"))
        corrected = sg.correct_statement(s, analyst, about.id, CorrectionSpec(
            text="Ivan rents a boat", reason="the registry shows a lease"))
        assert sorted(n.recipient for n in corrected) == ["Police B", "Prosecutor A"]
        assert all(n.kind == "correction" and "rents a boat" in n.message for n in corrected)
        request = requests.create_request(s, analyst, c.id, RequestSpec(
            kind="mla", counterpart_country="AT", subject_matter="Fictional laundering",
            persons="IVAN FICTIONAL, born 1970 (fictional)", facts="Ivan Fictional sent it",
            created_on=date(2024, 2, 1)))
        letter = letters.generate(s, analyst, request.id, "docx", today=date(2024, 2, 2))
        erased = sg.erase_subject(s, analyst, suspect.id, ErasureSpec(reason="acquitted"))
        assert request.persons == "[erased person], born 1970 (fictional)"
        assert request.facts == "[erased person] sent it"
        assert s.scalars(select(CaseDocument).where(CaseDocument.id == letter.id)).first() \
            is None
        assert sorted(n.recipient for n in erased) == ["Police B", "Prosecutor A"]
        assert all("Ivan" not in n.message and "boat" not in n.message for n in erased)
        s.flush()
        assert s.get(Subject, suspect.id) is None
        assert s.scalars(select(Statement).where(Statement.id == about.id)).first() is None
        assert s.scalars(select(ScreenedSubject)).all() == []
        assert sg.processing_of(s, "subject", [suspect.id]) == {}
        assert s.get(Subject, other.id) is not None  # the other person stays
        entry = _audit(s, "erase")[-1]
        assert entry.record_id == str(suspect.id) and "acquitted" in entry.detail
        details = " ".join(e.detail for e in s.scalars(select(AuditEntry)))
        assert "Ivan" not in details and "boat" not in details
        assert len(sg.pending_notices(s, analyst)) == 4
        sg.mark_sent(s, analyst, erased[0].id, date(2031, 1, 1))
        assert len(sg.pending_notices(s, analyst)) == 3


def test_deleting_a_case_at_review_keeps_the_notices(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        c = case(s, analyst)
        proc = sg.set_case_processing(s, analyst, c.id, ProcessingSpec(
            purpose="investigation", legal_basis="ccp_investigation"))
        suspect = person(s, analyst, c, "Ivan Fictional", "suspect")
        sg.transfer(s, analyst, c.id, TransferSpec(subject_ids=[suspect.id],
                                                   counterpart="Police B", justification="x"))
        case_id = c.id
        assert review.delete_record(s, analyst, Settings(), proc.id,
                                    ErasureSpec(reason="retention ended")) == 1
        s.flush()
        assert s.scalars(select(Case).where(Case.id == case_id)).first() is None
        notices = sg.pending_notices(s, analyst)
        assert [n.recipient for n in notices] == ["Police B"] and notices[0].case_id is None
        assert notices[0].case_reference == "CASE-1"
        assert s.scalars(select(Processing)).all() == []


def test_a_transaction_set_is_deleted_at_review_with_its_files(
        platform_db: Database, settings: Settings) -> None:
    from tocsin.money import sets

    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        item, _ = sets.import_set(s, Principal.system(), settings, "amlworld", [FIXTURE],
                                  name="Fictional set", handling="GREEN",
                                  unit_id=unit_by_code(s, "tntd-spmu").id)
        proc = sg.set_set_processing(s, analyst, item.id, ProcessingSpec(
            purpose="financial_analysis", legal_basis="aml_fiu"))
        folder = sets.set_path(settings, item)
        proc_id, set_id = proc.id, item.id
    assert folder.exists()
    with platform_db.transaction() as s:
        indexed = select(func.count()).select_from(SearchDocument).where(
            SearchDocument.record_type == "transaction_set",
            SearchDocument.record_id == str(set_id))
        assert s.scalar(indexed) == 1
    with platform_db.transaction() as s:
        analyst = Principal(user_id=None, username="analyst-tntd-spmu", role=analyst.role,
                            unit_id=analyst.unit_id)
        assert review.queue(s, analyst, today=date.today() + timedelta(days=4000))
        review.delete_record(s, analyst, settings, proc_id, ErasureSpec(reason="ended"))
    assert not folder.exists()
    with platform_db.transaction() as s:
        assert s.scalars(select(Processing)).all() == []
        assert s.scalar(indexed) == 0  # the search index's copy is gone too
        assert any(e.action == "delete" and e.record_id == str(set_id)
                   for e in s.scalars(select(AuditEntry)))


def test_subject_access_report_and_oversight(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        busy = user(s, "analyst", name="busy")
        quiet = user(s, "analyst", name="quiet")
        dpo = user(s, "dp_officer", name="dpo")
        c1, c2 = case(s, analyst, "CASE-1"), case(s, analyst, "CASE-2")
        a = person(s, analyst, c1, "Ána María Fictional", "witness", birthDate=["1980-02-03"])
        b = person(s, analyst, c2, "ana maria fictional", "suspect")
        person(s, analyst, c2, "Someone Else", "suspect")
        _statement(s, analyst, c1.id, subject_id=a.id, text="Saw the handover")
        sg.transfer(s, analyst, c2.id, TransferSpec(subject_ids=[b.id],
                                                    counterpart="Police B", justification="x"))
        for _ in range(12):
            sg.consult_subject(s, busy, a.id, "checking")
        for who in (quiet, analyst):
            sg.consult_subject(s, who, a.id, "once")
        with pytest.raises(PermissionDenied):
            report.subject_access(s, analyst, "Ana Maria Fictional")
        found = report.subject_access(s, dpo, "  ANA MARIA fictional ")
        assert [e.case.reference for e in found.entries] == ["CASE-1", "CASE-2"]
        first, second = found.entries
        assert first.category == "Witness" and [x.text for x in first.statements] == [
            "Saw the handover"]
        assert len(first.consultations) == 14
        assert [e.counterpart for e, _ in second.sent] == ["Police B"]
        assert report.subject_access(s, dpo, "Ana Maria Fictional", "1990-01-01"
                                     ).entries[0].case.reference == "CASE-2"
        data = found.to_dict()
        assert data["records"][0]["statements"][0]["grade"] == "B2"
        with pytest.raises(PermissionDenied):
            oversight.overview(s, analyst)
        view = oversight.overview(s, dpo)
        flagged = [v.username for v in view.volumes if v.unusual]
        assert flagged == ["busy"]
        assert "more than 3 times the median" in view.volumes[0].why
        assert any("justification: checking" in e.detail for e in view.entries)


def test_victims_are_screened_without_a_copy_in_the_registry(platform_db: Database) -> None:
    from tocsin.cases import records
    from tocsin.screening import service

    fixtures = Path(__file__).parents[1] / "fixtures" / "screening"
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        service.import_list(s, analyst, "un", [fixtures / "un_v1.xml"])
        c = case(s, analyst)
        suspect = person(s, analyst, c, "Ivan Sidorov", "suspect", birthDate=["1964-01-16"])
        victim = person(s, analyst, c, "Ivan Sidorov", "victim", birthDate=["1964-01-16"])
        assert sg.narrowed(s, c) == {victim.id}
        screened = records.screen_subjects(s, analyst, c.id)
        assert [x.id for x in screened] == [suspect.id, victim.id]
        assert all(x.screening and x.screening["matches"] >= 1 for x in screened)
        kept = {k for k in s.scalars(select(ScreenedSubject.subject_key))}
        assert kept == {f"tocsin-case-{c.id}-subject-{suspect.id}"}
