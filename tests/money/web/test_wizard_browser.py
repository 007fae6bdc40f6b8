"""In a real browser: import a French bank's CSV with the guided import, counting the actions;
reuse the saved mapping for the next file; correct a picker; see a bad file's problems once;
and roles that may not import never see the way in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser

WIZARD = Path(__file__).resolve().parents[2] / "fixtures" / "money" / "wizard"
TABULAR = Path(__file__).resolve().parents[2] / "fixtures" / "money" / "tabular"
#: Words of the command line or of the mapping file that a page must never show.
COMMAND_WORDS = re.compile(r"--mapping|YAML|transaction\.amount|source\.account|strptime|%d")


class Actions:
    """A person's actions in the page: clicks, typing, choosing a file or an option."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.locator(selector).first.click()

    def fill(self, selector: str, value: str) -> None:
        self.count += 1
        self.page.fill(selector, value)

    def choose_file(self, selector: str, path: Path) -> None:
        self.count += 1
        self.page.set_input_files(selector, str(path))

    def select(self, selector: str, label: str) -> None:
        self.count += 1
        self.page.select_option(selector, label=label)


def _no_command_words(page: Page) -> None:
    text = page.locator("main").inner_text()
    assert not COMMAND_WORDS.search(text), COMMAND_WORDS.search(text)


def test_guided_import_reuse_and_problems(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.set_viewport_size({"width": 1280, "height": 900})
    act = Actions(page)

    # the whole task: from the home page to the imported set
    act.click("nav.mainnav summary:has-text('Investigations')")
    act.click("nav.mainnav .menu-items a[href='/investigations']")
    act.click("#start-import")
    act.choose_file("#wizard-file", WIZARD / "virements_fr.csv")
    act.click("#wizard-upload button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import virements_fr.csv")
    # every column recognised: the pickers show labels and the preview the converted rows
    expect(page.locator("#f-transaction-amount option:checked")).to_contain_text("Montant")
    expect(page.locator("#f-source-account option:checked")).to_contain_text(
        "Compte émetteur")
    expect(page.locator("#date_format option:checked")).to_have_text(
        "day/month/year (31/12/2024)")
    expect(page.locator("#decimal option:checked")).to_have_text("comma (1.234,56)")
    first = page.locator("#preview tbody tr").first
    expect(first).to_contain_text("2024-02-05")
    expect(first).to_contain_text("1,234.56")
    expect(first).to_contain_text("Société Ondine")
    expect(page.locator("#preview-status")).to_contain_text("5 row(s) checked, no problems")
    expect(page.locator("#name")).to_have_value("virements_fr")
    _no_command_words(page)
    act.fill("#save_as", "Banque Ondine virements")
    act.click("#wizard-import")
    page.wait_for_url(re.compile(r"/investigations\?job="))
    done = page.locator("#import-result a")
    expect(done).to_have_text("virements_fr", timeout=60_000)
    expect(page.locator("#import-result")).to_contain_text("5 transactions")
    act.click("#import-result a")
    expect(page.get_by_role("heading", level=1)).to_contain_text("virements_fr")
    assert act.count == 8, act.count  # menu, item, link, file, continue, name, import, open

    # the next file of the same shape: the saved mapping is used at once
    page.goto(f"{live_server.url}/investigations/import")
    page.set_input_files("#wizard-file", str(WIZARD / "virements_fr.csv"))
    page.click("#wizard-upload button[type=submit]")
    expect(page.locator(".lead")).to_contain_text("Banque Ondine virements")
    expect(page.locator("#saved option:checked")).to_have_text("Banque Ondine virements")
    # ... and a person's correction shows in the preview as it is made, no button needed
    expect(page.locator("button[value=preview]")).to_be_hidden()
    reference = page.locator("#preview tbody tr").first.locator("td").nth(6)
    expect(reference).not_to_have_text("")
    page.select_option("#f-transaction-id", label="— not in this file —")
    expect(reference).to_have_text("")
    expect(page.locator("#f-transaction-id option:checked")).to_have_text(
        "— not in this file —")
    # a wrong choice brings its problems into the page, and correcting it takes them away
    page.locator("#f-transaction-amount").focus()
    page.select_option("#f-transaction-amount", value="Référence")
    expect(page.locator("#wizard-problems")).to_contain_text("is not a number")
    expect(page.locator("#f-transaction-amount")).to_be_focused()  # focus stays put
    page.select_option("#f-transaction-amount", value="Montant")
    expect(page.locator("#wizard-problems")).to_have_count(0)
    expect(page.locator("#preview tbody tr").first).to_contain_text("1,234.56")
    page.click("button[value=cancel]")
    page.wait_for_url(f"{live_server.url}/investigations")

    # a file with bad rows: each problem once, in words, nothing imported
    page.goto(f"{live_server.url}/investigations/import")
    page.set_input_files("#wizard-file", str(TABULAR / "bank_export_bad.csv"))
    page.click("#wizard-upload button[type=submit]")
    page.select_option("#f-transaction-date", label="Buchungstag (e.g. 31.02.2024, 01.03.2024)")
    page.select_option("#f-source-account", label="Auftraggeber IBAN (e.g. DE1)")
    page.select_option("#f-target-account", label="Empfänger IBAN (e.g. DE2)")
    page.click("#wizard-import")
    summary = page.locator("#wizard-problems")
    expect(summary).to_be_focused()
    items = summary.locator("li").all_inner_texts()
    assert "bank_export_bad.csv:2: Date: '31.02.2024' does not match day.month.year" \
        " (31.12.2024)" in items, items
    assert any("'zehn' is not a number" in i for i in items), items
    assert len(items) == len(set(items))
    _no_command_words(page)
    page.goto(f"{live_server.url}/investigations")
    expect(page.locator("#set-list tbody tr")).to_have_count(1)  # only the first import


def test_rates_sent_with_the_file_convert_its_currencies(page: Page,
                                                       live_server: LiveServer) -> None:
    # transfers in som, sum, dollars and euros; the shipped table lacks the som and the sum
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations/import")
    page.set_input_files("#wizard-file", str(WIZARD / "remittances_kg.csv"))
    page.click("#wizard-upload button[type=submit]")
    expect(page.locator("#wizard-rates")).to_contain_text(
        "Exchange rates from the indicative table shipped with Tocsin")
    expect(page.locator("#wizard-problems")).to_contain_text("no exchange rate for KGS into EUR")
    page.click("#wizard-rates a")  # choose the file again, with the case's rates beside it
    _no_command_words(page)
    page.set_input_files("#wizard-file", str(WIZARD / "remittances_kg.csv"))
    page.set_input_files("#wizard-rates", str(WIZARD / "rates_kg.csv"))
    page.click("#wizard-upload button[type=submit]")
    expect(page.locator("#wizard-rates")).to_have_text(
        "Exchange rates from rates_kg.csv, sent with the file: KGS, USD, UZS into EUR.")
    _no_command_words(page)
    expect(page.locator("#wizard-problems")).to_have_count(0)
    expect(page.locator("#preview-status")).to_contain_text("4 row(s) checked, no problems")
    # the amounts convert into a currency of the table, and only into one of those: a
    # currency it cannot convert into (the pound) is not offered
    offered = page.locator("#base_currency option").evaluate_all(
        "(options) => options.map((o) => o.value)")
    assert offered == ["EUR", "KGS", "USD", "UZS"], offered
    page.select_option("#base_currency", value="KGS")
    expect(page.locator("#preview-status")).to_contain_text("4 row(s) checked, no problems")
    page.select_option("#base_currency", value="EUR")
    expect(page.locator("#wizard-problems")).to_have_count(0)
    page.click("#wizard-import")
    page.wait_for_url(re.compile(r"/investigations\?job="))
    expect(page.locator("#import-result")).to_contain_text("4 transactions", timeout=60_000)


def test_without_javascript_the_button_updates_the_preview(browser: Browser,
                                                          live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations/import")
    page.set_input_files("#wizard-file", str(WIZARD / "virements_fr.csv"))
    page.click("#wizard-upload button[type=submit]")
    page.select_option("#f-transaction-id", label="— not in this file —")
    page.click("button[value=preview]")
    expect(page.locator("#preview tbody tr").first.locator("td").nth(6)).to_have_text("")
    context.close()


@pytest.mark.parametrize("role", ["fund_manager", "partner_viewer"])
def test_roles_that_may_not_import_see_no_way_in(page: Page, live_server: LiveServer,
                                                 role: str) -> None:
    username, _ = create_user(live_server.db, role, unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations")
    expect(page.locator("#start-import")).to_have_count(0)
    response = page.goto(f"{live_server.url}/investigations/import")
    assert response is not None and response.status == 403
