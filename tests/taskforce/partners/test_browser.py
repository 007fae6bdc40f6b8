"""In a real browser: open the co-operation network and select a partner."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.taskforce.lessons.helpers import activity
from tocsin.access.principal import Principal
from tocsin.taskforce.partners import records
from tocsin.taskforce.partners.spec import AgreementSpec

pytestmark = pytest.mark.browser


def test_network_view(page: Page, live_server: LiveServer) -> None:
    with live_server.db.transaction() as s:
        activity(s, "NETB", title="Joint investigations course", structure="tntd",
                 partners=("unodc",))
        records.create_agreement(s, Principal.system(), AgreementSpec(
            title="MoU on joint investigations", kind="memorandum_of_understanding",
            parties=["tntd", "interpol"], owner_unit="tntd-spmu"))
    username, _ = create_user(live_server.db, "fund_manager", unit="oceea")
    browser_login(page, live_server, username)
    page.get_by_role("link", name="Partners", exact=True).first.click()
    page.get_by_role("link", name="Co-operation network").click()
    expect(page.locator("#network[data-ready=true] canvas").first).to_be_attached()
    page.select_option("#network-pick", label="Transnational Threats Department")
    detail = page.locator("#network-detail")
    expect(detail.get_by_role("heading", level=2)).to_contain_text("Transnational Threats")
    expect(detail.locator("ol.partners-of > li")).to_have_count(2)
    expect(detail).to_contain_text("Joint investigations course")
    expect(detail.get_by_role("link", name="MoU on joint investigations")).to_be_visible()
