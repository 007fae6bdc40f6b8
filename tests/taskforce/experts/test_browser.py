"""In a real browser: find an expert for a need and read why each one matches."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tocsin.access.principal import Principal
from tocsin.taskforce.experts import records
from tocsin.taskforce.experts.spec import ExpertiseSpec, ExpertSpec, PeriodSpec

pytestmark = pytest.mark.browser


def test_find_an_expert(page: Page, live_server: LiveServer) -> None:
    with live_server.db.transaction() as s:
        for name, area, languages in (("Ana Fictional", "money_laundering", ["en", "ru"]),
                                      ("Boris Fictional", "cybercrime", ["ru"])):
            records.create_expert(s, Principal.system(), ExpertSpec(
                name=name, owner_unit="tntd-spmu", languages=languages,
                expertise=[ExpertiseSpec(crime_area=area, level="expert")],
                availability=[PeriodSpec(starts_on=date(2031, 1, 1),
                                         ends_on=date(2031, 12, 31))]))
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.get_by_role("link", name="Experts", exact=True).first.click()
    need = page.locator("form#need")
    need.locator("select[name=crime_area]").select_option("money_laundering")
    need.locator("input[name=language]").fill("ru")
    need.locator("input[name=available_from]").fill("2031-03-01")
    need.locator("input[name=available_to]").fill("2031-03-05")
    need.get_by_role("button", name="Find").click()
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Ana Fictional")
    expect(rows.first).to_contain_text("crime area Money laundering (expert)")
    expect(rows.nth(1)).to_contain_text("Boris Fictional")
    rows.first.get_by_role("link", name="Ana Fictional").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Fictional")
