"""The framework section: pages and API over the loaded reference data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login


def test_framework_pages_and_crosswalks(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("partner_viewer", unit="unodc")
    login(client, username)
    overview = client.get("/framework")
    assert overview.status_code == 200 and "Crime areas" in overview.text
    areas = client.get("/api/v1/framework/crime-areas").json()
    assert len(areas) >= 10
    area = client.get(f"/api/v1/framework/crime-areas/{areas[0]['code']}").json()
    scheme, values = next(iter(area["crosswalks"].items()))
    walk = client.get(f"/api/v1/framework/crosswalks/{scheme}/{values[0]}").json()
    assert area["code"] in walk["crime_areas"]
    page = client.get(f"/framework/crosswalks/{scheme}/{values[0]}")
    assert page.status_code == 200 and area["name"] in page.text
    for path in ("/framework/crime-areas", "/framework/stages", "/framework/structures",
                 "/framework/instruments", "/framework/states",
                 f"/framework/crime-areas/{area['code']}"):
        assert client.get(path).status_code == 200, path


def test_framework_instrument_and_stage(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    login(client, username)
    stages = client.get("/api/v1/framework/stages").json()
    assert len(stages) == 9
    instruments = client.get("/api/v1/framework/instruments").json()
    untoc = next(i for i in instruments if "untoc" in i["code"].lower()
                 and i["kind"] == "convention")
    detail = client.get(f"/api/v1/framework/instruments/{untoc['code']}").json()
    assert len(detail["provisions"]) == 41
    assert client.get(f"/framework/instruments/{untoc['code']}").status_code == 200
    assert client.get(f"/framework/stages/{stages[0]['code']}").status_code == 200
    assert client.get("/framework/crime-areas/no-such-area").status_code == 404
    assert client.get("/api/v1/framework/crime-areas/no-such-area").status_code == 404
