"""In a real browser: sign in, search, narrow by a facet, open a result."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.search.conftest import add_activity

pytestmark = pytest.mark.browser


def test_search_facet_and_open_result(page: Page, live_server: LiveServer) -> None:
    with live_server.db.transaction() as session:
        add_activity(session, "Cybercrime investigators exchange programme",
                     crime_areas=("cybercrime",))
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)

    page.goto(f"{live_server.url}/search")
    form = page.locator("#search-form")
    form.get_by_role("searchbox").fill("investigators")
    form.get_by_role("button", name="Search").click()
    expect(page.locator("#search-summary")).to_contain_text("for investigators")

    page.locator("fieldset[data-facet=type] input[value=activity]").check()
    page.wait_for_url("**type=activity**")
    expect(page.locator("ol.hits li")).to_have_count(1)
    expect(page.locator("ol.hits mark").first).to_have_text("investigators")

    page.locator("ol.hits h2 a").first.click()
    page.wait_for_url("**/programmes/*")
