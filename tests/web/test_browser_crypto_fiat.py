"""In a real browser: from the exchange's cluster on a Bitcoin set's page to the exchange's
bank account and the payments around the deposit, then a wider window."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.web.test_crypto_fiat_page import platform_with_bank

pytestmark = pytest.mark.browser


def test_from_the_exchange_cluster_to_the_fiat_payments(page: Page,
                                                        live_server: LiveServer) -> None:
    chain, _bank = platform_with_bank(live_server.db, live_server.settings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations/sets/{chain}/bitcoin")
    page.get_by_role("link", name="Bank accounts and fiat payments").click()
    expect(page.locator("#fiat-actors")).to_contain_text("Example Exchange")
    expect(page.locator("#fiat-deposits tbody tr")).to_have_count(1)
    bank = page.locator(".fiat-bank")
    expect(bank.get_by_role("heading")).to_contain_text("Fictional Bank statements")
    expect(bank.locator(".fiat-accounts")).to_contain_text("LT601010012345678901")
    payments = bank.locator(".fiat-payments tbody tr")
    expect(payments).to_have_count(2)
    expect(payments.first).to_contain_text("FB-0001")
    expect(payments.first).to_contain_text("into the exchange")
    expect(payments.last).to_contain_text("out of the exchange")
    page.fill("input[name=days]", "30")
    page.get_by_role("button", name="Find the bank accounts").click()
    expect(page.locator(".fiat-payments tbody tr")).to_have_count(3)
    expect(page.locator(".fiat-payments")).to_contain_text("FB-0003")


def test_editing_the_actor_table_asks_before_removing(page: Page,
                                                      live_server: LiveServer) -> None:
    chain, bank = platform_with_bank(live_server.db, live_server.settings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations/sets/{bank}")
    page.get_by_role("link", name="Exchange accounts").click()
    expect(page.locator("#actor-table")).to_contain_text("No actor is in this set")
    page.fill("input[name=actor]", "example-exchange")
    page.fill("input[name=accounts]", "RO49AAAA1B31007593840000")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("example-exchange")
    row = page.locator("#actor-table tbody tr")
    expect(row).to_contain_text("Harbour Fictional Trading SRL")
    # removing asks first; Escape keeps the account
    row.get_by_role("button", name="Remove", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Remove the account RO49AAAA1B31007593840000 from "
                                   "example-exchange?")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.reload()
    expect(row).to_contain_text("RO49AAAA1B31007593840000")
    # the exchange link on the Bitcoin page finds the account through the table
    page.goto(f"{live_server.url}/investigations/sets/{chain}/bitcoin"
              "?fiat=1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL#fiat")
    expect(page.locator(".fiat-accounts")).to_contain_text("RO49AAAA1B31007593840000")
    page.go_back()
    page.locator("#actor-table tbody tr").get_by_role("button", name="Remove", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Remove the account").click()
    expect(page.locator("#actor-table")).to_contain_text("No actor is in this set")
