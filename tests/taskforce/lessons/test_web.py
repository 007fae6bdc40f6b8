"""Lessons pages and JSON API on both backends, with access control."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import login
from tests.taskforce.lessons.helpers import activity, unit_id
from tocsin.store.database import Database

REVIEW = {
    "title": "Asset tracing workshop", "planned": "Train 20", "happened": "12 came",
    "why_different": "Late invitations", "next_time": "Invite early", "outcome": "partly",
    "tool_method": "Workshop", "crime_areas": ["money_laundering"], "stages": ["investigation"],
    "countries": ["AL"],
}


def test_cycle_through_the_api(client: TestClient, make_user: Callable[..., tuple[str, str]],
                               platform_db: Database) -> None:
    coordinator, _ = make_user("coordinator")
    token = login(client, coordinator)
    headers = {"X-CSRF-Token": token}
    made = client.post("/api/v1/lessons/reviews", json=REVIEW, headers=headers)
    assert made.status_code == 201, made.text
    lesson_id = made.json()["observations"][0]["id"]
    refused = client.post(f"/api/v1/lessons/{lesson_id}/transitions",
                          json={"transition": "validate"}, headers=headers)
    assert refused.status_code == 422 and "cannot validate" in refused.json()["detail"]
    for body in ({"transition": "accept"}, {"transition": "analyse", "analysis": "a"},
                 {"transition": "identify", "statement": "Invite the whole chain"},
                 {"transition": "assign", "action": {"action_body": "oceea",
                                                     "description": "Guide",
                                                     "due_on": "2031-01-01"}}):
        response = client.post(f"/api/v1/lessons/{lesson_id}/transitions", json=body,
                               headers=headers)
        assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "action_assigned" and len(data["history"]) == 5
    assert [p["id"] for p in client.get("/api/v1/lessons/pending").json()] == [lesson_id]
    no_token = client.post(f"/api/v1/lessons/actions/{data['actions'][0]['id']}/done")
    assert no_token.status_code == 403
    with platform_db.transaction() as s:
        draft = activity(s, "WEB1", title="Asset tracing for Albania", status=1,
                         crime_areas=("money_laundering",), countries=("AL",))
        draft_id = draft.id
    matches = client.post(f"/api/v1/lessons/design?activity_id={draft_id}", json={},
                          headers=headers).json()
    assert matches and matches[0]["explanation"].startswith("shares crime area Money laundering")
    page = client.get(f"/lessons/design?activity_id={draft_id}")
    assert page.status_code == 200 and "shares crime area Money laundering" in page.text
    assert client.get("/api/v1/lessons/cycle").json()["transitions"]["accept"]["roles"] \
        == ["coordinator"]


def test_pages_render_and_forms_post(client: TestClient,
                                     make_user: Callable[..., tuple[str, str]]) -> None:
    analyst, _ = make_user("analyst")
    token = login(client, analyst)
    form_page = client.get("/lessons/new").text
    assert "After-action review" in form_page
    # the review form itself carries the session's token (not only the header's sign-out
    # and language forms)
    assert form_page.count(f'name="csrf_token" value="{token}"') == 3
    form = {**REVIEW, "csrf_token": token, "crime_areas": "money_laundering",
            "stages": "investigation", "countries": "AL", "handling": "GREEN",
            "owner_unit": ""}
    posted = client.post("/lessons/new", data=form, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    page = client.get(posted.headers["location"])
    assert "Observation submitted" in page.text and "TLP:GREEN" in page.text
    # an analyst may not accept: the page offers no accept button
    assert 'data-transition="accept"' not in page.text
    bad = client.post("/lessons/new", data={**form, "outcome": "great"})
    assert bad.status_code == 422 and "great" in bad.text
    assert client.get("/lessons/pending").status_code == 200
    assert "Asset tracing workshop" in client.get("/lessons").text


def test_partner_viewer_does_not_see_amber_lesson(client: TestClient,
                                                  make_user: Callable[..., tuple[str, str]],
                                                  platform_db: Database) -> None:
    analyst, _ = make_user("analyst")
    viewer, _ = make_user("partner_viewer", unit="unodc")
    token = login(client, analyst)
    amber = client.post("/api/v1/lessons/observations", headers={"X-CSRF-Token": token},
                        json={"title": "Secret informant lesson", "observation": "o",
                              "outcome": "worked", "handling": "AMBER"}).json()
    client.post("/logout", data={"csrf_token": token})
    login(client, viewer)
    assert client.get("/api/v1/lessons").json() == []
    assert client.get(f"/api/v1/lessons/{amber['id']}").status_code == 404
    assert "Secret informant" not in client.get("/lessons").text
    assert client.get(f"/lessons/{amber['id']}").status_code == 404
    with platform_db.transaction() as s:
        assert unit_id(s, "unodc") != amber["owner_unit_id"]
