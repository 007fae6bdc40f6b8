"""The error pages' "Back" leads to the page the reader came from within the platform: the
pages' CSP (``script-src 'self'``) refuses a ``javascript:history.back()`` link, which did
nothing when clicked."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login


def _links(html: str) -> dict[str, str]:
    return {unescape_text: href for href, unescape_text in
            re.findall(r'<a href="([^"]*)"[^>]*>([^<]+)</a>', html.split("<main", 1)[1])}


def test_back_leads_to_the_page_the_reader_came_from(client: TestClient,
                                                     make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    login(client, username)
    came_from = f"{client.base_url}/programmes?level=project"
    missing = client.get("/programmes/999999", headers={"Referer": came_from})
    assert missing.status_code == 404
    assert "javascript:" not in missing.text
    links = _links(missing.text)
    assert links["Back"] == came_from.replace("&", "&amp;")
    assert links["Start page"] == "/"


def test_no_back_without_a_page_of_the_platform_to_go_back_to(client: TestClient,
                                                              make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    login(client, username)
    for headers in ({}, {"Referer": "https://elsewhere.example/programmes"},
                    {"Referer": "javascript:alert(1)"}):
        missing = client.get("/programmes/999999", headers=headers)
        assert missing.status_code == 404
        assert "Back" not in _links(missing.text) and "javascript:" not in missing.text
        assert _links(missing.text)["Start page"] == "/"
