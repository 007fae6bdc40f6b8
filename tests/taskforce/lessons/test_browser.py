"""In a real browser: after-action review → accept → analyse → identify → assign → learned."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser


def test_review_to_lesson_learned(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.get_by_role("link", name="Lessons", exact=True).first.click()
    page.get_by_role("link", name="After-action review").click()
    page.fill("input[name=title]", "Border liaison office pilot")
    page.fill("textarea[name=planned]", "Daily information exchange at the border")
    page.fill("textarea[name=happened]", "Exchange was weekly")
    page.fill("textarea[name=why_different]", "No shared radio channel")
    page.fill("textarea[name=next_time]", "Agree on channels first")
    page.select_option("select[name=outcome]", "partly")
    page.select_option("select[name=crime_areas]", ["drug_trafficking"])
    page.select_option("select[name=stages]", ["intelligence"])
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Border liaison office pilot")
    status = page.locator("strong.status")
    expect(status).to_have_text("Observation submitted")

    page.get_by_role("button", name="Accept").click()
    expect(status).to_have_text("Accepted for analysis")
    page.fill("form[data-transition=analyse] textarea[name=analysis]", "Channels missing")
    page.get_by_role("button", name="Record analysis").click()
    page.fill("form[data-transition=identify] textarea[name=statement]",
              "Agree communication channels before opening a liaison office")
    page.get_by_role("button", name="Identify lesson").click()
    expect(status).to_have_text("Lesson identified")
    form = page.locator("form[data-transition=assign]")
    form.locator("select[name=action_body]").select_option("tntd-bsmu")
    form.locator("input[name=action]").fill("Add a communications checklist")
    form.locator("input[name=due_on]").fill("2031-03-01")
    form.get_by_role("button", name="Assign remedial action").click()
    expect(status).to_have_text("Remedial action assigned")

    page.goto(f"{live_server.url}/lessons/pending")
    expect(page.get_by_role("cell", name="tntd-bsmu")).to_be_visible()
    page.get_by_role("link", name="Border liaison office pilot").click()
    page.get_by_role("button", name="Mark done").click()
    page.get_by_role("button", name="Validate as learned").click()
    expect(status).to_have_text("Lesson learned")
    expect(page.locator("ol.chain li")).to_have_count(6)
