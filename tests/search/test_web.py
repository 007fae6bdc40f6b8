"""The search page and API apply the read policy exactly as the library does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.factories import login
from tests.search.conftest import sqlite_only


@pytest.fixture
def amber(make_activity: Callable[..., int]) -> int:
    make_activity("Trafficking hotline public leaflet", handling="CLEAR",
                  crime_areas=("trafficking_in_human_beings",))
    return make_activity("Trafficking victim referral mechanism", handling="AMBER",
                         unit="tntd-spmu", crime_areas=("trafficking_in_human_beings",),
                         countries=("MD",))


def test_api_hides_amber_from_a_partner_viewer_of_another_unit(
        client: TestClient, make_user: Callable[..., tuple[str, str]], amber: int) -> None:
    viewer, _ = make_user("partner_viewer", unit="unodc")
    login(client, viewer)
    body = client.get("/api/v1/search", params={"q": "trafficking", "type": "activity"}).json()
    assert [h["title"] for h in body["hits"]] == ["Trafficking hotline public leaflet"]
    assert body["total"] == 1
    assert all(v["value"] != "MD" for v in body["facets"]["country"])


def test_api_shows_amber_to_an_analyst_of_the_owning_unit(
        client: TestClient, make_user: Callable[..., tuple[str, str]], amber: int) -> None:
    analyst, _ = make_user("analyst", unit="tntd-spmu")
    login(client, analyst)
    body = client.get("/api/v1/search", params=[("q", "trafficking"), ("type", "activity"),
                                               ("country", "MD")]).json()
    assert [(h["title"], h["handling"], h["url"]) for h in body["hits"]] == [
        ("Trafficking victim referral mechanism", "AMBER", f"/programmes/{amber}")]
    assert body["facets"]["country"][0] == {"value": "MD", "label": "Moldova", "count": 1,
                                            "selected": True}
    assert "<mark>Trafficking</mark>" in body["hits"][0]["title_html"]


@sqlite_only
def test_page_follows_the_same_rules(client: TestClient,
                                     make_user: Callable[..., tuple[str, str]],
                                     amber: int) -> None:
    viewer, _ = make_user("partner_viewer", unit="unodc")
    login(client, viewer)
    page = client.get("/search", params={"q": "trafficking", "type": "activity"})
    assert page.status_code == 200
    assert "Trafficking hotline public leaflet" not in page.text  # highlighted, so split
    assert "public leaflet" in page.text
    assert "referral mechanism" not in page.text
    assert 'name="type" value="activity" checked' in page.text

    client.post("/logout", data={"csrf_token": client.get("/api/v1/me").json()["csrf_token"]})
    analyst, _ = make_user("analyst", unit="tntd-spmu")
    login(client, analyst)
    assert "referral mechanism" in client.get(
        "/search", params={"q": "trafficking", "type": "activity"}).text


@sqlite_only
def test_bad_input_is_a_clear_error(client: TestClient,
                                    make_user: Callable[..., tuple[str, str]]) -> None:
    user, _ = make_user("analyst", unit="tntd-spmu")
    login(client, user)
    response = client.get("/api/v1/search", params={"q": "x", "year": "soon"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["location"] == "year"
    assert client.get("/api/v1/search", params={"q": '"unbalanced (NEAR'}).status_code == 200


@sqlite_only
def test_signed_out_gets_401(client: TestClient) -> None:
    assert client.get("/api/v1/search", params={"q": "x"}).status_code == 401


@sqlite_only
def test_broad_query_says_how_it_was_answered(client: TestClient,
                                              make_user: Callable[..., tuple[str, str]],
                                              amber: int, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    from tocsin.search import service

    monkeypatch.setattr(service, "WINDOW", 1)
    analyst, _ = make_user("analyst", unit="tntd-spmu")
    login(client, analyst)
    body = client.get("/api/v1/search", params={"q": "trafficking", "type": "activity"}).json()
    assert (body["total"], body["capped"], body["window"], len(body["hits"])) == (1, True, 1, 1)
    page = client.get("/search", params={"q": "trafficking", "type": "activity"}).text
    assert "1+ results" in page and 'id="search-capped"' in page
    assert "Counts among the 1 newest matches" in page
