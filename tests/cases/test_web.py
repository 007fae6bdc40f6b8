"""Cases through the JSON API and the pages, on both engines: a trace becomes an asset,
it is frozen and confiscated, an MLA request goes out with its letter, the statistics
count it; need to know and bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import login
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.access.users import unit_by_code
from tocsin.money import sets
from tocsin.settings import Settings
from tocsin.store.database import Database

FIXTURE = Path(__file__).parents[1] / "fixtures" / "money" / "amlworld" / "Tiny_Trans.csv"
ORDER = {"authority": "Fictional court", "order_reference": "ORD-1",
         "legal_basis": "Code s. 1 (fictional)", "order_status": "final"}


def _set(platform_db: Database, settings: Settings) -> int:
    with platform_db.transaction() as s:
        item, _ = sets.import_set(s, Principal.system(), settings, "amlworld", [FIXTURE],
                                  name="Tiny set", handling="GREEN",
                                  unit_id=unit_by_code(s, "tntd-spmu").id)
        return item.id


def test_trace_to_asset_to_request_to_statistics(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        platform_db: Database, settings: Settings) -> None:
    set_id = _set(platform_db, settings)
    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    case = client.post("/api/v1/cases", headers=h, json={
        "reference": "WEB-1", "title": "Fictional web case", "crime_area": "money_laundering",
        "opened_on": "2022-01-01", "handling": "AMBER"})
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    assert case.json()["team"][0]["role"] == "lead"
    traced = client.post(f"/api/v1/investigations/sets/{set_id}/trace", headers=h,
                         json={"accounts": ["070:100428660"]}).json()["trace"]
    end = max(traced["end_points"], key=lambda e: e["amount"])
    asset = client.post(f"/api/v1/cases/{case_id}/assets/from-trace", headers=h, json={
        "set_id": set_id, "accounts": ["070:100428660"], "end_account": end["account"],
        "identified_on": "2022-10-01", "country": "AT"})
    assert asset.status_code == 201, asset.text
    a = asset.json()
    assert a["trace"]["end_account"] == end["account"]
    assert float(a["estimated_value"]) == round(end["amount"], 2)
    assert [s["stage"] for s in a["stages"]] == ["identify", "trace"]
    bad = client.post(f"/api/v1/cases/{case_id}/assets/from-trace", headers=h, json={
        "set_id": set_id, "accounts": ["070:100428660"], "end_account": "NOWHERE",
        "identified_on": "2022-10-01"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == \
        "trace.end_account"
    with platform_db.transaction() as s:
        from tocsin.money import jobs

        # 8000EC280 pays three new counterparties within minutes: a small fan-out
        run = jobs.detect_now(s, Principal.system(), settings, set_id, jobs.detectors_from(
            ["fan_out"], {"fan_out": {"min_degree": 3}}))
    finding = run["findings"][0]["id"]
    linked = client.post(f"/api/v1/cases/{case_id}/links", headers=h, json={
        "kind": "finding", "set_id": set_id, "key": finding})
    assert linked.status_code == 201 and linked.json()["detail"]["detector"], linked.text
    missing = client.post(f"/api/v1/cases/{case_id}/links", headers=h, json={
        "kind": "finding", "set_id": set_id, "key": "no-such-finding"})
    assert missing.status_code == 422 and missing.json()["problems"][0]["location"] == \
        "link.key"
    frozen = client.post(f"/api/v1/cases/assets/{a['id']}/stages", headers=h, json={
        "stage": "freeze", "on_date": "2022-10-05", "order_date": "2022-10-04",
        "executed_on": "2022-10-06", **ORDER})
    assert frozen.status_code == 201, frozen.text
    wrong = client.post(f"/api/v1/cases/assets/{a['id']}/stages", headers=h, json={
        "stage": "confiscate", "on_date": "2022-09-01", "order_date": "2022-09-01", **ORDER})
    assert wrong.status_code == 422
    assert {p["location"] for p in wrong.json()["problems"]} == {"stage.on_date",
                                                                 "stage.order_date"}
    client.post(f"/api/v1/cases/assets/{a['id']}/stages", headers=h, json={
        "stage": "confiscate", "on_date": "2023-03-01", "order_date": "2023-03-01", **ORDER})
    req = client.post(f"/api/v1/cases/{case_id}/requests", headers=h, json={
        "kind": "mla", "counterpart_country": "AT", "created_on": "2022-10-02"}).json()
    assert req["ready_to_send"] is False
    refused = client.post(f"/api/v1/cases/requests/{req['id']}/status", headers=h,
                          json={"status": "sent", "on_date": "2022-10-03"})
    assert refused.status_code == 422
    assert "request.facts" in {p["location"] for p in refused.json()["problems"]}
    filled = client.put(f"/api/v1/cases/requests/{req['id']}", headers=h, json={
        "kind": "mla", "counterpart_country": "AT", "requesting_authority": "Fictional PPO",
        "requested_authority": "Fictional MoJ", "legal_basis": "UNTOC art. 18",
        "language": "en", "subject_matter": "Laundering (fictional)", "facts": "Traced.",
        "assistance": "Freeze the account", "purpose": "Confiscation",
        "asset_ids": [a["id"]]})
    assert filled.json()["ready_to_send"] is True, filled.text
    letter = client.post(f"/api/v1/cases/requests/{req['id']}/letters", headers=h,
                         json={"format": "docx"})
    assert letter.status_code == 201
    download = client.get(letter.json()["url"])
    assert download.status_code == 200 and download.content[:2] == b"PK"
    sent = client.post(f"/api/v1/cases/requests/{req['id']}/status", headers=h,
                       json={"status": "sent", "on_date": "2022-10-03"})
    assert sent.json()["status"] == "sent"
    client.post(f"/api/v1/cases/requests/{req['id']}/status", headers=h,
                json={"status": "executed", "on_date": "2022-11-02"})
    shown = client.get(f"/api/v1/cases/{case_id}").json()
    assert shown["exchanges"][0]["document_id"] == letter.json()["id"]
    figures = client.get("/api/v1/cases/statistics?by=year,stage").json()
    metrics = {(r["metric"], r["year"]) for r in figures["rows"]}
    assert {("freezing_orders_issued", "2022"), ("confiscation_orders_issued", "2023"),
            ("requests_outgoing", "2022"), ("requests_executed", "2022")} <= metrics
    durations = client.get("/api/v1/cases/requests/durations").json()
    assert durations == [{"country": "AT", "requests": 1, "median_days": 30.0,
                          "slowest_days": 30, "open_requests": 0}]
    csv_text = client.get("/cases/statistics.csv?by=country").text
    assert csv_text.startswith("metric,country,currency,count,value")
    for path in (f"/cases/{case_id}", f"/cases/assets/{a['id']}",
                 f"/cases/requests/{req['id']}", "/cases", "/cases/requests",
                 "/cases/statistics", "/cases/authorities", "/"):
        page = client.get(path)
        assert page.status_code == 200, path
    assert end["account"] in client.get(f"/cases/assets/{a['id']}").text
    with platform_db.transaction() as s:
        details = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.record_type == "case", AuditEntry.record_id == str(case_id))).all()
    for step in ("opened", "identified", "freeze", "confiscate", "letter version 1",
                 ": sent", ": executed"):
        assert any(step in d for d in details), step


def test_need_to_know_and_forms(client: TestClient,
                                make_user: Callable[..., tuple[str, str]]) -> None:
    lead, _ = make_user("analyst")
    colleague, _ = make_user("analyst", username="colleague")
    token = login(client, lead)
    page = client.post("/cases", data={
        "csrf_token": token, "reference": "NTK-WEB", "title": "Fictional restricted case",
        "need_to_know": "1", "handling": "AMBER"}, follow_redirects=False)
    assert page.status_code == 303
    case_id = int(page.headers["location"].rsplit("/", 1)[1])
    bad = client.post(f"/cases/{case_id}/assets", data={
        "csrf_token": token, "kind": "real_estate", "description": "Flat",
        "identified_on": "2020-13-45"})
    assert bad.status_code == 422 and "identified_on" in bad.text
    bad = client.post(f"/cases/{case_id}/tasks", data={"csrf_token": token, "title": "T"})
    assert bad.status_code == 422 and "due_on" in bad.text
    client.post("/logout", data={"csrf_token": token})
    other = {"X-CSRF-Token": login(client, colleague)}
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert all(c["id"] != case_id for c in client.get("/api/v1/cases").json())
    note = client.post(f"/api/v1/cases/{case_id}/notes", headers=other, json={"text": "x"})
    assert note.status_code == 404


def test_an_assets_trace_names_and_links_its_set_only_for_who_may_read_it(
        client: TestClient, make_user: Callable[..., tuple[str, str]],
        platform_db: Database, settings: Settings) -> None:
    # an AMBER case reaches every internal role; its set, AMBER+STRICT, only its unit
    set_id = _set(platform_db, settings)
    with platform_db.transaction() as s:
        sets.get_set(s, Principal.system(), set_id).handling = "AMBER+STRICT"
    analyst, _ = make_user("analyst")
    h = {"X-CSRF-Token": login(client, analyst)}
    case_id = client.post("/api/v1/cases", headers=h, json={
        "reference": "WEB-2", "title": "Fictional traced case", "crime_area": "money_laundering",
        "opened_on": "2022-01-01", "handling": "AMBER"}).json()["id"]
    traced = client.post(f"/api/v1/investigations/sets/{set_id}/trace", headers=h,
                         json={"accounts": ["070:100428660"]}).json()["trace"]
    end = max(traced["end_points"], key=lambda e: e["amount"])
    asset = client.post(f"/api/v1/cases/{case_id}/assets/from-trace", headers=h, json={
        "set_id": set_id, "accounts": ["070:100428660"], "end_account": end["account"],
        "identified_on": "2022-10-01"}).json()
    own = client.get(f"/cases/assets/{asset['id']}").text
    assert f'href="/investigations/sets/{set_id}/trace"' in own and "Tiny set" in own

    client.cookies.clear()
    reader, _ = make_user("fund_manager", unit="tntd")
    login(client, reader)
    assert client.get(f"/investigations/sets/{set_id}/trace").status_code == 404
    with platform_db.transaction() as s:  # the guessed address is a denial on record
        assert s.scalars(select(AuditEntry.detail).where(
            AuditEntry.username == reader, AuditEntry.action == "denied",
            AuditEntry.record_id == str(set_id))).all()
    page = client.get(f"/cases/assets/{asset['id']}")
    assert page.status_code == 200  # the case is theirs to read, the set is not
    assert f"/investigations/sets/{set_id}" not in page.text and "Tiny set" not in page.text
    assert end["account"] in page.text  # the case's own facts stay
    shown = client.get(f"/api/v1/cases/assets/{asset['id']}").json()["trace"]
    assert shown["end_account"] == end["account"]
    assert "set" not in shown and "set_id" not in shown
    case = client.get(f"/api/v1/cases/{case_id}").json()
    assert all("set_id" not in a["trace"] and "set" not in a["trace"] for a in case["assets"])
