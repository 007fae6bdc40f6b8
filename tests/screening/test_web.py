"""Screening through the API and the pages: imports, the form, yente's /match, judgements,
alerts on the home page, and the access rules; on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login


def _import(client: TestClient, token: str, fixtures: Path, name: str = "un_v1.xml",
            fmt: str = "un") -> dict[str, Any]:
    response = client.post("/api/v1/screening/lists", headers={"X-CSRF-Token": token},
                           data={"format": fmt},
                           files={"file": (name, (fixtures / name).read_bytes(), "text/xml")})
    assert response.status_code == 201, response.text
    return response.json()


def test_import_screen_judge_and_alert(client: TestClient, make_user: MakeUser,
                                       fixtures: Path) -> None:
    token = login(client, make_user("analyst")[0])
    first = _import(client, token, fixtures)
    assert (first["list"], first["version"], first["entries"]) == ("un_sc", 1, 3)
    listing = client.get("/api/v1/screening/lists/un_sc").json()
    assert listing["active_version"] == 1 and listing["versions"][0]["entries"] == 3
    body = {"entities": [{"schema": "Person", "properties": {
        "name": ["Ivan Sidorov"], "birthDate": ["1964-01-16"]}}]}
    screened = client.post("/api/v1/screening/screen", json=body,
                           headers={"X-CSRF-Token": token}).json()
    assert screened["stored"] is True
    [subject] = screened["results"]
    top = subject["results"][0]
    assert top["caption"] == "IVAN PETROVICH SIDOROV" and top["match"] is True
    assert {"name", "birth_date"} <= set(top["features"])
    judged = client.post(f"/api/v1/screening/subjects/{subject['subject_id']}/judgements",
                         json={"list": "un_sc", "entity_id": top["entity_id"],
                               "verdict": "match", "note": "same passport"},
                         headers={"X-CSRF-Token": token})
    assert judged.status_code == 200, judged.text
    again = client.post("/api/v1/screening/screen", json=body,
                        headers={"X-CSRF-Token": token}).json()
    assert again["results"][0]["results"][0]["band"] == "confirmed"
    second = _import(client, token, fixtures, "un_v2.xml")
    assert (second["added"], second["removed"], second["changed"]) == (1, 1, 1)
    assert second["rescreened"]["alerts"] == 1
    version = client.get("/api/v1/screening/lists/un_sc/versions/2").json()
    assert {c["change"] for c in version["changes"]} == {"added", "removed", "changed"}
    home = client.get("/")
    assert "Screening alerts" in home.text and "IVAN PETROVICH SIDOROV" in home.text
    [alert] = client.get("/api/v1/screening/alerts").json()
    closed = client.post(f"/api/v1/screening/alerts/{alert['id']}/close",
                         headers={"X-CSRF-Token": token})
    assert closed.status_code == 200
    assert client.get("/api/v1/screening/alerts").json() == []


def test_yente_match_shape(client: TestClient, make_user: MakeUser, fixtures: Path) -> None:
    token = login(client, make_user("analyst")[0])
    _import(client, token, fixtures, "eu.xml", "eu")
    request = {"queries": {
        "q1": {"schema": "Person", "properties": {"name": ["Saddam Hussein"],
                                                  "birthDate": ["1937-04-28"]}},
        "q2": {"schema": "Company", "properties": {"name": "Baltic Freight Logistics LLC"}},
        "q3": {"schema": "Person", "properties": {"name": ["Nobody Known"]}}}}
    response = client.post("/api/v1/match/eu_fsf?limit=3", json=request,
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data["responses"]) == {"q1", "q2", "q3"} and data["limit"] == 3
    q1 = data["responses"]["q1"]
    assert q1["status"] == 200 and q1["total"]["relation"] == "eq"
    best = q1["results"][0]
    assert best["caption"] == "Saddam Hussein Al-Tikriti" and best["match"] is True
    assert set(best) >= {"id", "caption", "schema", "properties", "datasets", "score",
                         "match", "features"}
    assert best["datasets"] == ["eu_fsf"] and best["features"]["birth_date"] == 1.0
    assert data["responses"]["q2"]["results"][0]["schema"] == "Organization"
    assert data["responses"]["q3"]["results"] == []
    assert client.post("/api/v1/match/nope", json=request,
                       headers={"X-CSRF-Token": token}).status_code == 404
    # matching keeps nothing
    assert client.get("/api/v1/screening/subjects").json() == []


def test_pages(client: TestClient, make_user: MakeUser, fixtures: Path) -> None:
    token = login(client, make_user("analyst")[0])
    page = client.get("/screening")
    assert page.status_code == 200 and "Screen a subject" in page.text
    imported = client.post("/screening/lists", data={"format": "un", "csrf_token": token},
                           files={"file": ("un_v1.xml", (fixtures / "un_v1.xml").read_bytes(),
                                           "text/xml")}, follow_redirects=False)
    assert imported.status_code == 303
    listing = client.get(imported.headers["location"])
    assert "IVAN PETROVICH SIDOROV" in listing.text
    result = client.post("/screening/screen", data={
        "csrf_token": token, "name": "Ivan Sidorov", "entity_type": "Person",
        "birth_date": "1964-01-16", "handling": "AMBER"})
    assert result.status_code == 200
    assert "IVAN PETROVICH SIDOROV" in result.text and "birth_date" in result.text
    subject = client.get("/api/v1/screening/subjects").json()[0]
    page = client.get(f"/screening/subjects/{subject['id']}")
    assert "Record" in page.text
    bad = client.post("/screening/screen", data={"csrf_token": token, "name": "x",
                                                 "entity_type": "Planet"})
    assert bad.status_code == 422 and "entity_type" in bad.text


def test_access(client: TestClient, make_user: MakeUser, fixtures: Path) -> None:
    analyst = login(client, make_user("analyst")[0])
    _import(client, analyst, fixtures)
    screened = client.post("/api/v1/screening/screen", headers={"X-CSRF-Token": analyst},
                           json={"entities": [{"schema": "Person", "properties": {
                               "name": ["Ivan Sidorov"]}}], "handling": "AMBER+STRICT"})
    subject_id = screened.json()["results"][0]["subject_id"]
    client.cookies.clear()
    viewer = login(client, make_user("partner_viewer")[0])
    refused = client.post("/api/v1/screening/lists", headers={"X-CSRF-Token": viewer},
                          data={"format": "un"}, files={"file": ("un.xml", b"<x/>", "text/xml")})
    assert refused.status_code == 403
    preview = client.post("/api/v1/screening/screen", headers={"X-CSRF-Token": viewer},
                          json={"entities": [{"schema": "Person", "properties": {
                              "name": ["Ivan Sidorov"]}}]}).json()
    assert preview["stored"] is False and preview["results"][0]["subject_id"] is None
    client.cookies.clear()
    other = login(client, make_user("analyst", unit="tntd-atu")[0])
    assert client.get(f"/api/v1/screening/subjects/{subject_id}").status_code == 404
    assert client.get(f"/screening/subjects/{subject_id}").status_code == 404
    assert client.post(f"/api/v1/screening/subjects/{subject_id}/judgements",
                       headers={"X-CSRF-Token": other},
                       json={"list": "un_sc", "entity_id": "x", "verdict": "match"}
                       ).status_code == 404
    client.cookies.clear()
    assert client.get("/api/v1/screening/lists").status_code == 401


def test_import_answer_names_what_was_left_out(client: TestClient, make_user: MakeUser,
                                               fixtures: Path) -> None:
    token = login(client, make_user("analyst")[0])
    answer = _import(client, token, fixtures / "published", "un_consolidated.xml")
    assert answer["entries"] == 8 and answer["notes_count"] == 1
    (note,) = answer["notes"]
    assert note["location"].startswith("un_consolidated.xml:7 (")
    assert "'Borduria'" in note["reason"]
    assert _import(client, token, fixtures)["notes"] == []


def test_uk_sanctions_list_is_imported_through_the_api(client: TestClient, make_user: MakeUser,
                                                       fixtures: Path) -> None:
    # The UK Sanctions List was refused as an unknown format.
    token = login(client, make_user("analyst")[0])
    answer = _import(client, token, fixtures / "published", "uk_sanctions_list_shapes.xml",
                     fmt="uk")
    assert (answer["list"], answer["entries"], answer["notes_count"]) == ("uk_sl", 3, 1)
    assert answer["notes"][0]["location"] == ("uk_sanctions_list_shapes.xml:4 "
                                              "(/Designations/Designation[1])")
    body = {"entities": [{"schema": "Organization",
                          "properties": {"name": ["Northern General Trading"]}}]}
    screened = client.post("/api/v1/screening/screen", json=body,
                           headers={"X-CSRF-Token": token}).json()
    top = screened["results"][0]["results"][0]
    assert top["caption"] == "NORTHERN GENERAL TRADING LLC"
