"""The data-protection pages and API on both engines: graded information shown on the
case, an H2 transfer refused with its reason, a victim opened only with a justification,
the review queue, the oversight page and the subject-access report for the
data-protection officer only."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import login
from tocsin.store.database import Database


def _case(client: TestClient, h: dict[str, str]) -> int:
    made = client.post("/api/v1/cases", headers=h, json={
        "reference": "DP-1", "title": "Fictional data-protection case",
        "crime_area": "money_laundering", "opened_on": "2024-01-01", "handling": "AMBER"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _person(client: TestClient, h: dict[str, str], case_id: int, name: str) -> int:
    made = client.post(f"/api/v1/cases/{case_id}/subjects", headers=h,
                       json={"schema": "Person", "properties": {"name": [name]}})
    assert made.status_code == 201, made.text
    return int(made.json()["id"].rsplit("-", 1)[1])


def test_graded_information_transfer_and_persons(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    case_id = _case(client, h)
    suspect = _person(client, h, case_id, "Ivan Fictional")
    victim = _person(client, h, case_id, "Vera Fictional")
    for subject, category in ((suspect, "suspect"), (victim, "victim")):
        done = client.post(f"/safeguards/subjects/{subject}/processing", headers=h, data={
            "category": category, "purpose": "investigation",
            "legal_basis": "ccp_investigation"}, follow_redirects=False)
        assert done.status_code == 303, done.text
    bad = client.post(f"/safeguards/cases/{case_id}/statements", headers=h, data={
        "text": "x", "nature": "fact", "source": "Liaison", "scheme": "6x6", "grade": "G9",
        "handling_code": "H2"})
    assert bad.status_code == 422 and "grade.source" in bad.text and "use A, B, C" in bad.text
    added = client.post(f"/safeguards/cases/{case_id}/statements", headers=h, data={
        "text": "Ivan met the courier in Xtown", "nature": "assessment",
        "source": "Fictional liaison officer", "subject_id": str(suspect), "scheme": "6x6",
        "grade": "B3", "handling_code": "H2", "provider": "Fictional police of Xland"},
        follow_redirects=False)
    assert added.status_code == 303, added.text
    page = client.get(f"/safeguards/cases/{case_id}")
    assert "6x6 B3" in page.text and "Usually reliable" in page.text
    assert "Possibly true" in page.text and "no onward transfer" in page.text
    assert "Assessment" in page.text
    assert "Vera" not in page.text and "Details withheld" in page.text
    statement_id = client.post(f"/api/v1/safeguards/cases/{case_id}/statements", headers=h,
                               json={"text": "Second", "nature": "fact", "source": "Registry",
                                     "grades": {"source": "A", "information": "1"}}).json()
    assert statement_id["grade"] == "A1" and statement_id["scheme"] == "4x4"


    held = int(re.findall(r'name="statement_ids" value="(\d+)"', page.text)[0])
    refused = client.post(f"/safeguards/cases/{case_id}/transfer", headers=h, data={
        "statement_ids": str(held), "counterpart": "Fictional prosecutor",
        "justification": "MLA"})
    assert refused.status_code == 422
    assert "not consented to passing it on" in refused.text
    assert "nothing was passed on" in refused.text
    client.post(f"/safeguards/statements/{held}/consent", headers=h,
                data={"note": "Agreed by message"})
    sent = client.post(f"/api/v1/safeguards/cases/{case_id}/transfer", headers=h, json={
        "statement_ids": [held], "subject_ids": [suspect],
        "counterpart": "Fictional prosecutor", "justification": "MLA"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["package"]["statements"][0]["grade"] == "B3"
    # the case page and its JSON show categories; the victim only as withheld
    case_page = client.get(f"/cases/{case_id}")
    assert "Victim: details withheld" in case_page.text and "Vera" not in case_page.text
    subjects = client.get(f"/api/v1/cases/{case_id}").json()["subjects"]
    assert {s.get("category") for s in subjects} == {"suspect", "victim"}
    assert next(s for s in subjects if s.get("withheld")).get("caption") is None
    # opening the victim asks for a justification, which the log keeps
    ask = client.get(f"/safeguards/subjects/{victim}")
    assert "justification" in ask.text and "Vera" not in ask.text
    empty = client.post(f"/safeguards/subjects/{victim}/consult", headers=h,
                        data={"justification": " "})
    assert empty.status_code == 422
    opened = client.post(f"/safeguards/subjects/{victim}/consult", headers=h,
                         data={"justification": "Hearing preparation"})
    assert opened.status_code == 200 and "Vera Fictional" in opened.text
    queue = client.get("/safeguards?ahead=4000")
    assert "Case DP-1" in queue.text and "no purpose or legal basis recorded" in queue.text
    assert client.get("/safeguards/oversight").status_code == 403
    assert client.get("/safeguards/access-report?name=Vera+Fictional").status_code == 403


def test_oversight_and_subject_access_report_for_the_officer(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    case_id = _case(client, h)
    witness = _person(client, h, case_id, "Wanda Fictional")
    client.post(f"/safeguards/subjects/{witness}/processing", headers=h, data={
        "category": "witness", "purpose": "investigation", "legal_basis": "ccp_investigation"})
    client.post(f"/safeguards/subjects/{witness}/consult", headers=h,
                data={"justification": "Checking the statement"})
    client.post("/logout", headers=h)
    officer, _ = make_user("dp_officer", username="officer")
    login(client, officer)
    view = client.get("/safeguards/oversight")
    assert view.status_code == 200
    assert "Checking the statement" in view.text and analyst in view.text
    found = client.get("/safeguards/access-report", params={"name": "wanda FICTIONAL"})
    assert found.status_code == 200 and "1 record(s)" in found.text
    assert "Case DP-1" in found.text and "Witness" in found.text
    data = client.get("/api/v1/safeguards/access-report",
                      params={"name": "Wanda Fictional"}).json()
    assert data["records"][0]["category"] == "Witness"
    assert client.get("/safeguards/access-report", params={"name": "Nobody Here"}
                      ).text.count("holds nothing") == 1


def test_markers_page_flags_and_clears(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        platform_db: Database) -> None:
    from tests.safeguards.test_markers import _activity

    with platform_db.transaction() as s:
        activity = _activity(s, "XM-OSCE-W-1", "Border police training", "intelligence")
    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    assert "markers-link" in client.get(f"/programmes/{activity}").text
    page = client.get(f"/safeguards/activities/{activity}/markers")
    assert "no human-rights component" in page.text
    bad = client.post(f"/safeguards/activities/{activity}/markers", headers=h,
                      data={"marker:99:human_rights": "x"})
    assert bad.status_code == 422
    saved = client.post(f"/safeguards/activities/{activity}/markers", headers=h,
                        data={"marker:99:human_rights": "2", "marker:1:1": "1"},
                        follow_redirects=True)
    assert saved.status_code == 200 and "no human-rights component" not in saved.text
    assert 'value="2" selected' in saved.text


def test_markers_page_names_the_markers_in_the_readers_language(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        platform_db: Database) -> None:
    from tests.safeguards.test_markers import _activity

    with platform_db.transaction() as s:
        activity = _activity(s, "XM-OSCE-W-2", "Border police training", "intelligence")
    login(client, make_user("analyst")[0])
    page = client.get(f"/safeguards/activities/{activity}/markers",
                      headers={"Accept-Language": "ru"}).text
    flag = page.split('id="flag">', 1)[1].split("</p>", 1)[0]
    # the rationale names the markers that would count, in Russian, as the table does
    for russian in ("Компонент прав человека", "Подход, ориентированный на потерпевших",
                    "Развитие на основе участия / благое управление"):
        assert russian in flag and russian in page
    assert "Victim-centred approach" not in page and "Gender equality" not in page
    assert "Гендерное равенство" in page and "1: Значимая цель" in page
    french = client.get(f"/safeguards/activities/{activity}/markers",
                        headers={"Accept-Language": "fr"}).text
    assert "Approche centrée sur les victimes" in french and "Handicap" in french


def test_review_decisions_from_the_queue(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        platform_db: Database) -> None:
    from sqlalchemy import select

    from tocsin.safeguards.tables import Processing

    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    case_id = _case(client, h)
    ivan = _person(client, h, case_id, "Ivan Fictional")
    olga = _person(client, h, case_id, "Olga Fictional")
    for subject in (ivan, olga):
        client.post(f"/safeguards/subjects/{subject}/processing", headers=h, data={
            "category": "contact", "purpose": "investigation",
            "legal_basis": "ccp_investigation"})
    client.post(f"/api/v1/safeguards/cases/{case_id}/transfer", headers=h, json={
        "subject_ids": [ivan], "counterpart": "Police B", "justification": "JIT"})
    with platform_db.transaction() as s:
        ids = {p.record_id: p.id for p in s.scalars(select(Processing))}
    queue = client.get("/safeguards?ahead=3650")
    assert "Contact or associate (Ivan Fictional)" in queue.text
    assert f"/safeguards/processing/{ids[ivan]}/extend" in queue.text
    no_reason = client.post(f"/safeguards/processing/{ids[ivan]}/extend", headers=h,
                            data={"months": "6", "justification": ""})
    assert no_reason.status_code == 422 and "extension.justification" in no_reason.text
    too_long = client.post(f"/safeguards/processing/{ids[ivan]}/extend", headers=h,
                           data={"months": "60", "justification": "trial"})
    assert too_long.status_code == 422 and "at most 36 months" in too_long.text
    assert client.post(f"/safeguards/processing/{ids[ivan]}/extend", headers=h, data={
        "months": "6", "justification": "Trial pending"}, follow_redirects=False
    ).status_code == 303
    client.post(f"/safeguards/processing/{ids[olga]}/anonymise", headers=h,
                data={"reason": "no longer needed"})
    client.post(f"/safeguards/processing/{ids[ivan]}/delete", headers=h,
                data={"reason": "acquitted"})
    page = client.get(f"/safeguards/cases/{case_id}")
    assert "Ivan" not in page.text and "Olga" not in page.text
    assert "Anonymised person" in page.text
    queue = client.get("/safeguards?ahead=3650")
    assert "Police B" in queue.text and "erased" in queue.text
    notice = re.search(r'/safeguards/notices/(\d+)/sent', queue.text)
    assert notice
    client.post(f"/safeguards/notices/{notice.group(1)}/sent", headers=h)
    assert "No notice waits to be sent" in client.get("/safeguards").text
    # the person pages of another unit's reader: not found
    client.post("/logout", headers=h)
    outsider, _ = make_user("analyst", unit="oceea", username="outsider")
    h2 = {"X-CSRF-Token": login(client, outsider)}
    assert client.post(f"/safeguards/processing/{ids[olga]}/extend", headers=h2, data={
        "months": "6", "justification": "x"}).status_code in (403, 404)
