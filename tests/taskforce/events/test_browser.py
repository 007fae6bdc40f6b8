"""In a real browser: create an event, add a panel and a recommendation, an action, close it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser


def test_event_panel_recommendation_action_closed(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.get_by_role("link", name="Events", exact=True).first.click()
    page.fill("input[name=title]", "Mediterranean partnership meeting")
    page.fill("input[name=starts_on]", "2031-05-12")
    page.fill("input[name=location]", "Valletta")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mediterranean partnership")

    page.fill("input[name=title]", "Illicit financial flows")
    page.get_by_role("button", name="Add panel").click()
    panel = page.locator("section.panel")
    expect(panel.get_by_role("heading", name="Illicit financial flows")).to_be_visible()
    panel.locator("textarea[name=text]").fill("Hold joint asset-tracing training")
    panel.get_by_role("button", name="Add recommendation").click()
    recommendation = page.locator("li.recommendation")
    expect(recommendation).to_have_attribute("data-status", "open")

    recommendation.locator("summary", has_text="Add a follow-up action").click()
    recommendation.locator("input[name=description]").fill("Draft the training plan")
    recommendation.locator("select[name=owner]").select_option("oceea")
    recommendation.locator("input[name=due_on]").fill("2020-01-31")
    recommendation.get_by_role("button", name="Add action").click()
    expect(page.locator("tr.overdue")).to_contain_text("overdue")

    page.locator("tr.overdue select[name=status]").select_option("done")
    page.locator("tr").filter(has_text="Draft the training plan").get_by_role(
        "button", name="Set").click()
    expect(page.locator("li.recommendation")).to_have_attribute("data-status", "closed")
    expect(page.locator("li.recommendation")).to_contain_text("all follow-up actions done")
    page.goto(f"{live_server.url}/events/calendar?year=2031&month=5")
    expect(page.locator("td[data-day='2031-05-12']")).to_contain_text("Mediterranean")
