"""In a real browser: the account selected in the network travels to the trace and the
timeline tabs, so the timeline opens on it instead of empty."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import LiveServer, browser_login, create_user
from tocsin.money import demo
from tocsin.money.tables import TransactionSet

pytestmark = pytest.mark.browser


def test_the_timeline_opens_on_the_selected_account(page: Page,
                                                    live_server: LiveServer) -> None:
    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
        set_id = session.scalar(select(TransactionSet.id))
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)

    page.goto(f"{live_server.url}/investigations/sets/{set_id}")
    page.fill("#account-query", "ACC00000001")
    page.locator("#account-search button[type=submit]").click()
    page.get_by_role("button", name="Show ACC00000001").click()
    timeline = page.locator("#set-tabs").get_by_role("link", name="Timeline")
    expect(timeline).to_have_attribute("href", f"/investigations/sets/{set_id}/timeline"
                                               "?account=ACC00000001")
    assert page.url.endswith("?account=ACC00000001")  # a reload keeps the selection
    timeline.click()
    expect(page.locator("#timeline-status")).to_contain_text("payments", timeout=60_000)
    expect(page.locator("#timeline-rows tr").first).to_be_visible()
    trace = page.locator("#set-tabs").get_by_role("link", name="Trace")
    expect(trace).to_have_attribute("href", f"/investigations/sets/{set_id}/trace"
                                            "?account=ACC00000001")
