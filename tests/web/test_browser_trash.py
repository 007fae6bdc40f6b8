"""In a real browser: a delete asks first, lands in the trash, and an administrator
restores it; the keyboard alone can cancel the dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tocsin.access.principal import Principal
from tocsin.taskforce.commitments import records as commitments
from tocsin.taskforce.commitments.records import CommitmentSpec

pytestmark = pytest.mark.browser


def _commitment(server: LiveServer) -> int:
    with server.db.transaction() as session:
        return commitments.create_commitment(session, Principal.system(), CommitmentSpec(
            code="demo:7", instrument_code="untoc", summary="Share financial intelligence",
            handling="GREEN", owner_unit="tntd-spmu")).id


def test_a_delete_asks_first_and_an_administrator_restores_it(
        page: Page, live_server: LiveServer) -> None:
    commitment = _commitment(live_server)
    coordinator, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    admin, _ = create_user(live_server.db, "administrator", unit="tntd-spmu")
    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server.url}/commitments/{commitment}")

    delete = page.get_by_role("button", name="Delete commitment")
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete the commitment demo:7?")
    expect(dialog).to_contain_text("restore it from the trash")
    page.keyboard.press("Escape")  # keyboard: Escape keeps the record
    expect(dialog).to_have_count(0)
    page.reload()
    expect(page.locator("h1")).to_contain_text("demo:7")

    delete.click()
    page.get_by_role("dialog").get_by_role("button", name="Delete commitment").click()
    page.wait_for_url(f"{live_server.url}/commitments")
    assert page.goto(f"{live_server.url}/commitments/{commitment}").status == 404

    page.get_by_role("button", name="Sign out").click()
    browser_login(page, live_server, admin)
    page.goto(f"{live_server.url}/admin/trash")
    row = page.locator("table.data tr", has_text="demo:7")
    expect(row).to_contain_text("coordinator")
    row.get_by_role("button", name="Restore").click()
    expect(page.locator("p.ok")).to_contain_text("demo:7 — Share financial intelligence")
    expect(page.locator("table.data")).to_contain_text("The trash is empty")
    assert page.goto(f"{live_server.url}/commitments/{commitment}").status == 200
    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("table.data")).to_contain_text("restore")
