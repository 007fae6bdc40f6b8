"""In a real browser: see the gaps, link a programme to a commitment, assess it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.taskforce.programmes.factory import spec
from tocsin.access.principal import Principal
from tocsin.taskforce.commitments.demo import demo_commitments
from tocsin.taskforce.programmes import records

pytestmark = pytest.mark.browser


def test_commitment_flow(page: Page, tf_live_server: LiveServer) -> None:
    with tf_live_server.db.transaction() as session:
        demo_commitments(session)
        records.create_activity(session, Principal.system(), spec(
            "XM-OSCE-MLA-1", level="programme", title="Mutual legal assistance network"))
    username, _ = create_user(tf_live_server.db, "coordinator", unit="tntd")
    browser_login(page, tf_live_server, username)
    page.get_by_role("link", name="Commitments", exact=True).first.click()
    page.get_by_role("link", name="No programme behind: per instrument").click()
    row = page.locator("table.data tr", has_text="untoc:art18")
    expect(row).to_contain_text("untoc:art18")
    row.get_by_role("link", name="untoc:art18").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("untoc:art18")
    expect(page.locator("section.card", has_text="Programmes behind it")).to_contain_text("None")

    page.fill("input[name=activities]", "XM-OSCE-MLA-1")
    page.get_by_role("button", name="Save links").click()
    expect(page.locator("section.card", has_text="Programmes behind it")).to_contain_text(
        "Mutual legal assistance network")

    page.select_option("select[name=status]", "in_progress")
    page.fill("textarea[name=rationale]", "Central authorities trained (fictional).")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.locator("#status")).to_have_text("in progress")
    expect(page.locator("#history")).to_contain_text("Central authorities trained")

    page.get_by_role("link", name="Commitments", exact=True).first.click()
    page.get_by_role("link", name="per crime area").click()
    expect(page.locator("table.data")).to_be_visible()
    expect(page.locator("table.data")).not_to_contain_text("untoc:art18")
