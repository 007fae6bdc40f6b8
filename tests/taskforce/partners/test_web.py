"""Partners pages and JSON API on both backends, with access control."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.factories import login
from tests.taskforce.lessons.helpers import activity
from tocsin.store.database import Database


def test_partners_agreements_and_network(client: TestClient, platform_db: Database,
                                         make_user: Callable[..., tuple[str, str]]) -> None:
    coordinator, _ = make_user("coordinator")
    token = login(client, coordinator)
    headers = {"X-CSRF-Token": token}
    ngo = client.post("/api/v1/partners", headers=headers, json={
        "name": "Fictional Watchdog", "kind": "civil_society", "country": "RS"})
    assert ngo.status_code == 201, ngo.text
    ngo_id = ngo.json()["id"]
    soon = (date.today() + timedelta(days=20)).isoformat()
    made = client.post("/api/v1/partners/agreements", headers=headers, json={
        "title": "MoU with the watchdog", "kind": "memorandum_of_understanding",
        "expires_on": soon, "parties": ["tntd", str(ngo_id)]})
    assert made.status_code == 201, made.text
    expiring = client.get("/api/v1/partners/agreements/expiring?within_days=30").json()
    assert [(e["title"], e["days_left"]) for e in expiring] == [("MoU with the watchdog", 20)]
    assert client.get("/api/v1/partners/agreements/expiring?within_days=10").json() == []
    bad = client.post("/api/v1/partners/agreements", headers=headers, json={
        "title": "x", "kind": "treaty", "parties": ["tntd"]})
    assert bad.status_code == 422
    assert {p["location"] for p in bad.json()["problems"]} >= {"agreement.kind",
                                                                "agreement.parties"}
    with platform_db.transaction() as s:
        activity(s, "NET1", title="Joint border training", structure="tntd",
                 partners=("unodc",))
    graph = client.get("/api/v1/partners/network").json()
    assert {n["data"]["code"] or n["data"]["partner_id"] for n in graph["nodes"]} \
        == {"tntd", "unodc", ngo_id}
    assert len(graph["edges"]) == 2
    page = client.get("/partners")
    assert "Fictional Watchdog" in page.text and "expire within 90 days" in page.text
    assert "MoU with the watchdog" in client.get("/partners/agreements").text
    detail = client.get(f"/partners/{ngo_id}")
    assert "weight 1" in detail.text
    posted = client.post(f"/partners/{ngo_id}/focal-points", follow_redirects=False,
                         data={"csrf_token": token, "name": "Demo Person", "email": "d@x.org"})
    assert posted.status_code == 303
    assert "Demo Person" in client.get(f"/partners/{ngo_id}").text
    assert 'data-source="/api/v1/partners/network"' in client.get("/partners/network").text


def test_partner_viewer_does_not_see_amber_agreement(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    coordinator, _ = make_user("coordinator")
    viewer, _ = make_user("partner_viewer", unit="unodc")
    token = login(client, coordinator)
    amber = client.post("/api/v1/partners/agreements", headers={"X-CSRF-Token": token}, json={
        "title": "Restricted plan", "kind": "joint_action_plan", "handling": "AMBER",
        "parties": ["tntd", "europol"],
        "expires_on": (date.today() + timedelta(days=5)).isoformat()}).json()
    client.post("/logout", data={"csrf_token": token})
    login(client, viewer)
    assert client.get("/api/v1/partners/agreements").json() == []
    assert client.get("/api/v1/partners/agreements/expiring").json() == []
    assert client.get(f"/api/v1/partners/agreements/{amber['id']}").status_code == 404
    assert "Restricted plan" not in client.get("/partners/agreements").text
    assert client.get("/api/v1/partners/network").json()["edges"] == []


def test_reference_partners_in_the_readers_language(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    token = login(client, make_user("coordinator")[0])
    made = client.post("/api/v1/partners", headers={"X-CSRF-Token": token}, json={
        "name": "Fictional Watchdog", "kind": "civil_society",
        "description": "Watches the watchers."})
    assert made.status_code == 201, made.text
    russian = {"Accept-Language": "ru"}
    listed = client.get("/partners", headers=russian).text
    assert "Управление Организации Объединенных Наций по наркотикам и преступности" in listed
    assert "United Nations Office on Drugs and Crime" not in listed
    assert "Fictional Watchdog" in listed  # a partner users added: as written
    partners = client.get("/api/v1/partners").json()
    unodc = next(p for p in partners if p["reference_code"] == "unodc")
    assert unodc["name"] == "United Nations Office on Drugs and Crime"  # the API: English
    page = client.get(f"/partners/{unodc['id']}", headers=russian).text
    assert "секретариат КТОП" in page and "secretariat of UNTOC" not in page
    watchdog = client.get(f"/partners/{made.json()['id']}", headers=russian).text
    assert "Watches the watchers." in watchdog
    french = client.get("/framework/states", headers={"Accept-Language": "fr"}).text
    assert "Office des Nations Unies contre la drogue et le crime" in french
    assert "Coopération policière mondiale par un Bureau central national" in french
