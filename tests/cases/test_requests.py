"""Co-operation requests: completeness before sending, status flow, refusal grounds,
exchanges, reminders, time to execution, directory, letters (both engines)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cases.helpers import case, user
from tocsin.cases import letters, requests
from tocsin.cases.spec import AuthoritySpec, ExchangeSpec, RequestSpec, StatusSpec
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.store.database import Database

COMPLETE = {
    "kind": "mla", "counterpart_country": "AT", "reference": "MLA-1",
    "requesting_authority": "Fictional Prosecutor's Office",
    "requested_authority": "Fictional Ministry of Justice", "legal_basis": "UNTOC art. 18",
    "language": "en", "subject_matter": "Investigation of laundering (fictional)",
    "facts": "Funds moved through accounts (fictional).",
    "assistance": "Bank records of one account", "purpose": "Evidence for trial",
    "created_on": "2030-02-01", "deadline": "2030-04-01"}


def _directory(s, coordinator):  # type: ignore[no-untyped-def]
    return requests.save_authority(s, coordinator, AuthoritySpec(
        country="AT", kind="mla", name="Fictional Ministry of Justice", languages=["de", "en"],
        channels=["email"], source="demo data (fictional)", as_of=date(2030, 1, 1),
        fictional=True))


def test_an_incomplete_request_is_not_sent(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead)
        draft = requests.create_request(s, lead, c.id, RequestSpec.model_validate({
            "kind": "mla", "counterpart_country": "AT", "created_on": "2030-02-01"}))
        report = requests.request_json(draft)
        assert report["ready_to_send"] is False
        with pytest.raises(InputError) as err:
            requests.set_request_status(s, lead, draft.id, StatusSpec(
                status="sent", on_date=date(2030, 2, 2)))
        where = {p.location for p in err.value.problems}
        assert where == {"request.requesting_authority", "request.subject_matter",
                         "request.facts", "request.assistance", "request.purpose",
                         "request.requested_authority", "request.legal_basis",
                         "request.language"}
        assert any("art. 18(15)(c)" in p.reason for p in err.value.problems)
        assert draft.status == "draft" and len(draft.history) == 1  # nothing half-written


def test_status_flow_refusal_exchanges_and_durations(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        coordinator = user(s, "coordinator", name="coord")
        c = case(s, lead)
        authority = _directory(s, coordinator)
        req = requests.create_request(s, lead, c.id, RequestSpec.model_validate(
            COMPLETE | {"authority_id": authority.id, "language": "fr"}))
        # the directory says the authority takes German or English
        with pytest.raises(InputError, match=r"request\.language"):
            requests.set_request_status(s, lead, req.id, StatusSpec(status="sent",
                                                                    on_date=date(2030, 2, 2)))
        req = requests.update_request(s, lead, req.id, RequestSpec.model_validate(
            COMPLETE | {"authority_id": authority.id}))
        requests.set_request_status(s, lead, req.id, StatusSpec(status="sent",
                                                                on_date=date(2030, 2, 2)))
        assert [e.direction for e in c.exchanges] == ["sent"]
        assert c.exchanges[0].counterpart == "Fictional Ministry of Justice"
        with pytest.raises(InputError, match="cannot become draft"):
            requests.set_request_status(s, lead, req.id, StatusSpec(status="draft"))
        with pytest.raises(InputError, match=r"status\.on_date"):
            requests.set_request_status(s, lead, req.id, StatusSpec(
                status="acknowledged", on_date=date(2030, 2, 1)))
        requests.set_request_status(s, lead, req.id, StatusSpec(
            status="acknowledged", on_date=date(2030, 2, 10)))
        requests.set_request_status(s, lead, req.id, StatusSpec(
            status="executed", on_date=date(2030, 3, 4)))
        assert req.closed_on == date(2030, 3, 4)
        with pytest.raises(InputError, match="it is closed"):
            requests.set_request_status(s, lead, req.id, StatusSpec(status="withdrawn"))
        second = requests.create_request(s, lead, c.id, RequestSpec.model_validate(
            COMPLETE | {"reference": "MLA-2", "created_on": "2030-03-01"}))
        requests.set_request_status(s, lead, second.id, StatusSpec(status="sent",
                                                                   on_date=date(2030, 3, 1)))
        with pytest.raises(InputError) as err:
            requests.set_request_status(s, lead, second.id, StatusSpec(
                status="refused", on_date=date(2030, 4, 1)))
        assert {p.location for p in err.value.problems} == {"status.article", "status.reason"}
        requests.set_request_status(s, lead, second.id, StatusSpec(
            status="refused", on_date=date(2030, 4, 1), article="UNTOC art. 18(21)(b)",
            reason="Essential interests (fictional)"))
        durations = requests.time_to_execution(s, lead)
        assert [(d.country, d.requests, d.median_days) for d in durations] == [("AT", 1, 30.0)]
        assert requests.refusal_grounds()[0].article.startswith("UNTOC art. 18(21)")


def test_reminders_and_incoming_requests(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead)
        late = requests.create_request(s, lead, c.id, RequestSpec.model_validate(COMPLETE))
        requests.set_request_status(s, lead, late.id, StatusSpec(status="sent",
                                                                 on_date=date(2030, 2, 2)))
        incoming = requests.create_request(s, lead, c.id, RequestSpec.model_validate({
            "kind": "preservation", "direction": "incoming", "counterpart_country": "DE",
            "requesting_authority": "Fictional Federal Office", "created_on": "2030-02-05",
            "deadline": "2030-02-20"}))
        assert incoming.status == "sent"
        assert [e.direction for e in c.exchanges] == ["sent", "received"]
        found = requests.reminders(s, lead, today=date(2030, 3, 15))
        texts = [r.text for r in found]
        assert any("deadline 2030-02-20" in t for t in texts)
        assert any("no acknowledgement since 2030-02-02" in t for t in texts)
        assert all(r.case_reference == c.reference for r in found)


def test_request_input_errors_name_the_field(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead, opened_on=date(2030, 1, 10))
        with pytest.raises(InputError) as err:
            requests.create_request(s, lead, c.id, RequestSpec.model_validate({
                "kind": "rendition", "direction": "sideways", "counterpart_country": "XX",
                "urgency": "asap", "created_on": "2030-01-01", "deadline": "2029-12-01",
                "asset_ids": [999], "language": "klingon"}))
        assert {p.location for p in err.value.problems} == {
            "request.kind", "request.direction", "request.counterpart_country",
            "request.urgency", "request.created_on", "request.deadline",
            "request.asset_ids[0]", "request.language"}
        with pytest.raises(InputError, match=r"exchange\.counterpart"):
            requests.record_exchange(s, lead, c.id, ExchangeSpec(
                direction="sent", what="Bank records", counterpart=""))
        viewer = user(s, "partner_viewer", "unodc")
        with pytest.raises(PermissionDenied):
            requests.save_authority(s, lead, AuthoritySpec(
                country="AT", kind="mla", name="X", source="x", as_of=date(2030, 1, 1)))
        with pytest.raises((NotFound, PermissionDenied)):
            requests.record_exchange(s, viewer, c.id, ExchangeSpec(
                direction="sent", what="x", counterpart="y"))


def test_letters_carry_the_marking_and_keep_versions(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead, handling="AMBER")
        req = requests.create_request(s, lead, c.id, RequestSpec.model_validate(COMPLETE))
        docx = letters.generate(s, lead, req.id, "docx", today=date(2030, 2, 2))
        pdf = letters.generate(s, lead, req.id, "pdf", today=date(2030, 2, 2))
        assert (docx.version, pdf.version) == (1, 2)
        with zipfile.ZipFile(io.BytesIO(docx.content)) as z:
            names = z.namelist()
            header = "".join(z.read(n).decode() for n in names if "header" in n)
            footer = "".join(z.read(n).decode() for n in names if "footer" in n)
            body = z.read("word/document.xml").decode()
        assert "TLP:AMBER" in header and "TLP:AMBER" in footer
        order = [body.index(x) for x in ("Investigation of laundering", "Funds moved",
                                         "Bank records of one account", "Evidence for trial")]
        assert order == sorted(order)  # the art. 18(15) order
        reader = PdfReader(io.BytesIO(pdf.content))
        first = reader.pages[0].extract_text()
        assert first.count("TLP:AMBER") >= 2 and "Bank records of one account" in first
        requests.set_request_status(s, lead, req.id, StatusSpec(status="sent",
                                                                on_date=date(2030, 2, 3)))
        assert c.exchanges[-1].document_id == pdf.id
        assert "letter version 2" in c.exchanges[-1].what
        other = user(s, "analyst", "oceea", name="outsider")
        with pytest.raises(NotFound):
            letters.get_document(s, other, pdf.id) if c.handling == "RED" else \
                letters.get_document(s, user(s, "partner_viewer", "unodc"), pdf.id)
        with pytest.raises(InputError, match="format"):
            letters.generate(s, lead, req.id, "odt")


def test_directory_loads_from_data(platform_db: Database, tmp_path: Path) -> None:
    with platform_db.transaction() as s:
        coordinator = user(s, "coordinator")
        bad = tmp_path / "bad.yaml"
        bad.write_text("authorities:\n  - {country: ZZ, kind: mla, name: X, source: s, "
                       "as_of: 2030-01-01}\n")
        with pytest.raises(InputError, match=r"bad.yaml: authorities\[0\].country"):
            requests.load_directory(s, coordinator, bad)
        from tocsin.cases.demo import DIRECTORY

        added = requests.load_directory(s, coordinator, DIRECTORY)
        assert added > 0 and requests.load_directory(s, coordinator, DIRECTORY) == 0
        assert all(a.fictional for a in requests.list_authorities(s))
