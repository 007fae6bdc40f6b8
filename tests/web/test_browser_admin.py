"""In a real browser: an administrator adds a user and changes their own password."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser


def test_admin_adds_user_and_changes_password(page: Page, live_server: LiveServer) -> None:
    username, password = create_user(live_server.db, "administrator", unit="tntd")
    browser_login(page, live_server, username)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.fill("input[name=username]", "new.analyst")
    page.select_option("select[name=role]", "analyst")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("p.ok")).to_contain_text("new.analyst")
    expect(page.locator("table.data")).to_contain_text("new.analyst")

    page.goto(f"{live_server.url}/account/password")
    page.fill("input[name=current_password]", password)
    page.fill("input[name=new_password]", "Fresh-password-2026")
    page.fill("input[name=repeat_password]", "Fresh-password-2026")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("p.ok")).to_contain_text("password was changed")

    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("table.data")).to_contain_text("password_change")
