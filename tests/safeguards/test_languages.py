"""The data-protection pages in French and Russian: notices to recipients named by their
kind in the page's language, and the refusals of the review queue, the information passed
on and the grading of information in the user's language."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import login
from tocsin import i18n
from tocsin.access import grading
from tocsin.store.database import Database

RU = {"Accept-Language": "ru"}
FR = {"Accept-Language": "fr"}


def test_notices_and_refusals_in_russian_and_french(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        platform_db: Database) -> None:
    from sqlalchemy import select

    from tocsin.safeguards.tables import Processing

    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    made = client.post("/api/v1/cases", headers=h, json={
        "reference": "DP-LANG", "title": "Fictional case", "crime_area": "money_laundering",
        "opened_on": "2024-01-01", "handling": "AMBER"})
    case_id = int(made.json()["id"])
    person = client.post(f"/api/v1/cases/{case_id}/subjects", headers=h, json={
        "schema": "Person", "properties": {"name": ["Ivan Fictional"]}})
    subject = int(person.json()["id"].rsplit("-", 1)[1])
    client.post(f"/safeguards/subjects/{subject}/processing", headers=h, data={
        "category": "contact", "purpose": "investigation", "legal_basis": "ccp_investigation"})
    client.post(f"/api/v1/safeguards/cases/{case_id}/transfer", headers=h, json={
        "subject_ids": [subject], "counterpart": "Police B", "justification": "JIT"})
    with platform_db.transaction() as s:
        processing = s.scalars(select(Processing.id).where(
            Processing.record_id == subject)).one()

    too_long = client.post(f"/safeguards/processing/{processing}/extend", headers={**h, **RU},
                           data={"months": "60", "justification": "trial"})
    assert too_long.status_code == 422 and "не более 36 мес. за один раз" in too_long.text
    no_reason = client.post(f"/safeguards/processing/{processing}/extend",
                            headers={**h, **FR}, data={"months": "6", "justification": ""})
    assert "indiquez pourquoi les données sont encore nécessaires" in no_reason.text
    refused = client.post(f"/api/v1/safeguards/cases/{case_id}/transfer", headers={**h, **FR},
                          json={"subject_ids": [], "counterpart": "Police C",
                                "justification": ""})
    assert refused.status_code == 422
    assert "say why it is passed on" in refused.text  # the JSON API stays English

    client.post(f"/safeguards/processing/{processing}/delete", headers=h,
                data={"reason": "acquitted"})
    queue = client.get("/safeguards?ahead=3650", headers=RU).text
    assert "Police B" in queue and "<td>удаление</td>" in queue and "<td>erasure</td>" not in queue
    queue = client.get("/safeguards?ahead=3650", headers=FR).text
    assert "<td>effacement</td>" in queue
    case_page = client.get(f"/safeguards/cases/{case_id}", headers=RU).text
    assert "<li>Удаление " in case_page and "Erasure" not in case_page


def test_why_graded_information_may_not_be_passed_on_in_the_readers_language() -> None:
    refused = grading.transfer_refusals("H2", consent=False, as_evidence=False)
    assert refused and "has not consented" in refused[0]  # stored and logged in English
    with i18n.using("ru"):
        assert "источник не дал согласия на передачу" in str(refused[0])
    unknown = grading.transfer_refusals("H9", consent=True, as_evidence=False)
    with i18n.using("fr"):
        assert str(unknown[0]) == ("le code de diffusion 'H9' est inconnu, rien ne peut donc "
                                   "être transmis")
