"""Events pages and JSON API on both backends, with access control."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.factories import login


def test_event_flow_through_the_api_and_pages(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    coordinator, _ = make_user("coordinator")
    token = login(client, coordinator)
    h = {"X-CSRF-Token": token}
    today = date.today()
    event = client.post("/api/v1/events", headers=h, json={
        "title": "Regional conference", "starts_on": today.isoformat(),
        "organizers": ["tntd", "unodc"]})
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    panel = client.post(f"/api/v1/events/{event_id}/panels", headers=h,
                        json={"title": "Illicit finance"}).json()
    rec = client.post(f"/api/v1/events/panels/{panel['id']}/recommendations", headers=h,
                      json={"text": "Train prosecutors"}).json()
    late = client.post(f"/api/v1/events/recommendations/{rec['id']}/actions", headers=h, json={
        "description": "Draft curriculum", "owner": "oceea",
        "due_on": (today - timedelta(days=1)).isoformat()}).json()
    assert late["overdue"] is True
    assert [a["id"] for a in client.get("/api/v1/events/actions?overdue=true").json()] \
        == [late["id"]]
    done = client.post(f"/api/v1/events/actions/{late['id']}/status", headers=h,
                       json={"status": "done"}).json()
    assert done["recommendation_status"] == "closed"
    shown = client.get(f"/api/v1/events/{event_id}").json()
    assert shown["panels"][0]["recommendations"][0]["closed_reason"] \
        == "all follow-up actions done"
    cal = client.get(f"/api/v1/events/calendar?year={today.year}&month={today.month}").json()
    assert any(event_id in d["events"] for d in cal)
    page = client.get(f"/events/{event_id}")
    assert "Illicit finance" in page.text and "Train prosecutors" in page.text
    month = client.get(f"/events/calendar?year={today.year}&month={today.month}")
    assert "Regional conference" in month.text
    # the page forms
    posted = client.post(f"/events/panels/{panel['id']}/recommendations",
                         data={"csrf_token": token, "text": "Share guides"},
                         follow_redirects=False)
    assert posted.status_code == 303
    refused = client.post(f"/events/recommendations/{rec['id']}/close",
                          data={"csrf_token": token, "reason": "again"})
    assert refused.status_code == 422 and "already closed" in refused.text
    assert "Draft curriculum" in client.get("/events/actions").text


def test_partner_viewer_does_not_see_amber_event(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    coordinator, _ = make_user("coordinator")
    viewer, _ = make_user("partner_viewer", unit="unodc")
    token = login(client, coordinator)
    amber = client.post("/api/v1/events", headers={"X-CSRF-Token": token}, json={
        "title": "Closed operational meeting", "starts_on": date.today().isoformat(),
        "handling": "AMBER"}).json()
    client.post("/logout", data={"csrf_token": token})
    login(client, viewer)
    assert client.get("/api/v1/events").json() == []
    assert client.get(f"/api/v1/events/{amber['id']}").status_code == 404
    assert "Closed operational" not in client.get("/events").text
    assert "Closed operational" not in client.get("/events/calendar").text
    assert client.get(f"/events/{amber['id']}").status_code == 404
