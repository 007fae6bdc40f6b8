"""Experts pages and JSON API on both backends, with access control."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import login

ANA = {"name": "Ana Fictional", "organization": "Fictional FIU",
       "expertise": [{"crime_area": "money_laundering", "level": "expert"}],
       "languages": ["en", "ru"],
       "availability": [{"starts_on": "2031-01-01", "ends_on": "2031-12-31"}]}


def test_roster_and_search(client: TestClient,
                           make_user: Callable[..., tuple[str, str]]) -> None:
    coordinator, _ = make_user("coordinator")
    token = login(client, coordinator)
    made = client.post("/api/v1/experts", headers={"X-CSRF-Token": token}, json=ANA)
    assert made.status_code == 201, made.text
    assert made.json()["handling"] == "AMBER"
    found = client.get("/api/v1/experts/find?crime_area=money_laundering&language=fr"
                       "&available_from=2031-02-01&available_to=2031-02-10").json()
    assert found[0]["matched"] == ["crime area Money laundering (expert)",
                                   "available 2031-02-01 to 2031-02-10"]
    assert found[0]["missing"] == ["language fr"]
    bad = client.get("/api/v1/experts/find?available_from=2031-02-01")
    assert bad.status_code == 422 and "both dates" in bad.text
    page = client.get("/experts?crime_area=money_laundering&language=ru")
    assert "Ana Fictional" in page.text and "language ru" in page.text
    posted = client.post("/experts", follow_redirects=False, data={
        "csrf_token": token, "name": "Boris Fictional", "crime_area": "cybercrime",
        "level": "expert", "languages": "de", "handling": "GREEN", "owner_unit": ""})
    assert posted.status_code == 303
    assert "Boris Fictional" in client.get(posted.headers["location"]).text


def test_partner_viewer_does_not_see_amber_expert(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    coordinator, _ = make_user("coordinator")
    viewer, _ = make_user("partner_viewer", unit="unodc")
    token = login(client, coordinator)
    ana = client.post("/api/v1/experts", headers={"X-CSRF-Token": token}, json=ANA).json()
    client.post("/logout", data={"csrf_token": token})
    login(client, viewer)
    assert client.get("/api/v1/experts").json() == []
    assert client.get("/api/v1/experts/find?crime_area=money_laundering").json() == []
    assert client.get(f"/api/v1/experts/{ana['id']}").status_code == 404
    assert "Ana Fictional" not in client.get("/experts?crime_area=money_laundering").text
