"""Refusals of the case pages in French and Russian: the case's status, its team, its
subjects and a FollowTheMoney file, each on the page that refuses it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import login

RU = {"Accept-Language": "ru"}
FR = {"Accept-Language": "fr"}


def test_case_refusals_in_russian_and_french(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    made = client.post("/api/v1/cases", headers=h, json={
        "reference": "LANG-1", "title": "Fictional case", "crime_area": "money_laundering",
        "opened_on": "2024-01-01", "handling": "AMBER"})
    assert made.status_code == 201, made.text
    case_id = int(made.json()["id"])

    status = client.post(f"/cases/{case_id}/status", headers={**h, **RU},
                         data={"status": "paused"})
    assert status.status_code == 422 and "&#39;paused&#39; — не open и не closed" in status.text
    member = client.post(f"/cases/{case_id}/members", headers={**h, **FR},
                         data={"username": "nobody.here", "role": "member"})
    assert "aucun utilisateur actif &#39;nobody.here&#39;" in member.text
    subject = client.post(f"/cases/{case_id}/subjects", headers={**h, **RU},
                          data={"schema": "Vessel", "properties": "name: Fictional"})
    assert "&#39;Vessel&#39; — не из списка: Person, Company" in subject.text
    assert "is not one of" not in subject.text
    upload = client.post(f"/cases/{case_id}/subjects/import", headers={**h, **FR},
                         files={"file": ("people.jsonl", b'{"schema": "Person"}\nnot json\n',
                                         "application/json")})
    assert upload.status_code == 422
    assert "people.jsonl : 2 lignes incorrectes ; rien n\u2019a été importé" in upload.text
    assert ("pas une entité FollowTheMoney (il faut un id et un schéma, chacun sous forme de "
            "texte)") in upload.text


def test_a_missing_record_in_russian_and_french(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    analyst, _ = make_user("analyst")
    login(client, analyst)
    russian = client.get("/cases/assets/987654", headers=RU)
    assert russian.status_code == 404 and "актив 987654 не найдено" in russian.text
    french = client.get("/cases/requests/987654", headers=FR)
    assert french.status_code == 404 and "demande 987654 introuvable" in french.text
    assert "not found" not in french.text
