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
    # leaving the box fires "change" as well as the click's "submit": on a loaded machine
    # the second answer could replace the filters after the box below was ticked
    page.wait_for_load_state("networkidle")

    page.locator("fieldset[data-facet=type] input[value=activity]").check()
    page.wait_for_url("**type=activity**")
    expect(page.locator("ol.hits li")).to_have_count(1)
    expect(page.locator("ol.hits mark").first).to_have_text("investigators")

    page.locator("ol.hits h2 a").first.click()
    page.wait_for_url("**/programmes/*")


@pytest.mark.parametrize("width", [1280, 900, 420])
def test_the_filter_sidebar_renders_at_every_width_and_did_you_mean_helps(
        page: Page, live_server: LiveServer, width: int) -> None:
    with live_server.db.transaction() as session:
        add_activity(session, "Tracing cryptocurrency payments of ransomware groups",
                     crime_areas=("cybercrime", "money_laundering"), countries=("MD",))
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"{live_server.url}/search?q=cryptocurency")
    suggestion = page.locator("#did-you-mean a")
    expect(suggestion).to_have_text("cryptocurrency")
    suggestion.click()
    expect(page.locator("ol.hits")).to_contain_text("Tracing cryptocurrency payments")

    boxes = page.locator(".facets input[type=checkbox]")
    assert boxes.count() >= 3
    for i in range(boxes.count()):
        box = boxes.nth(i).bounding_box()
        label = boxes.nth(i).locator("xpath=following-sibling::span[1]").bounding_box()
        assert box and label
        assert box["width"] < 30 and box["height"] < 30, box  # a check box, not a large empty box
        assert label["x"] > box["x"] and abs(label["y"] - box["y"]) < 20  # beside its label
        assert label["height"] < 45, label  # not squeezed into a narrow column: two lines at most
    assert page.evaluate("document.documentElement.scrollWidth") <= width
