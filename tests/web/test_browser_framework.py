"""In a real browser: sign in, open the framework, follow a crosswalk, sign out.

This is the example every area's browser test follows: the ``live_server`` and
``page`` fixtures, ``create_user`` and ``browser_login`` from ``tests.factories``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser


def test_login_framework_crosswalk_logout(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "partner_viewer", unit="unodc")
    browser_login(page, live_server, username)

    page.get_by_role("link", name="Framework", exact=True).first.click()
    expect(page.get_by_role("heading", name="Framework")).to_be_visible()
    page.get_by_role("link", name="Money laundering").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Money laundering")

    # follow the SHERLOC crosswalk to the page listing every area mapped to it
    page.locator("a.chip[href^='/framework/crosswalks/sherloc/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("UNODC SHERLOC crime type")
    expect(page.locator("ul.cards a").first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(f"{live_server.url}/framework")
    page.wait_for_url("**/login?next=/framework")
