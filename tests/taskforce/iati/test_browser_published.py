"""In a real browser: an imported activity's page shows what its publisher's file said
beyond the platform's view (every recipient country, sectors of every vocabulary,
transactions of every type, budgets over their periods), by the names of their codes;
its document categories and finance kinds are words, not codes; a reader-only role is
offered the activity's export but no change."""

from __future__ import annotations

import re

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.taskforce.iati.test_browser_import import PUBLISHED, _import_file

pytestmark = pytest.mark.browser


def _open(page: Page, live_server: LiveServer, title: str) -> None:
    page.goto(f"{live_server.url}/programmes")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def test_an_imported_activity_shows_what_its_file_said_by_name(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    _import_file(page, live_server, PUBLISHED / "dfid-bs.xml")
    _import_file(page, live_server, PUBLISHED / "worldbank-activity.xml")

    # DFID's programme in the Bahamas: not one of the platform's States, so its facts say
    # no country; the file's recipient and sector are shown by name
    _open(page, live_server, "UK Response to Hurricane Joaquin")
    published = page.locator("#published")
    expect(published).to_contain_text("Read from dfid-bs.xml (IATI 2.03)")
    recipient = page.locator("#published-recipients tbody tr")
    expect(recipient).to_have_count(1)
    expect(recipient.locator("td").nth(0)).to_have_text("Bahamas")
    expect(recipient.locator("td").nth(2)).to_have_text("100%")
    sector = page.locator("#published-sectors tbody tr")
    expect(sector.locator("td").nth(0)).to_have_text("Administrative costs (non-sector allocable)")
    expect(sector.locator("td").nth(1)).to_have_text("91010")
    # a document's IATI category by its name (A05 is "Budget"), and in the form a list
    document = page.locator("#documents li").first
    expect(document.locator("small")).to_have_text("Budget")
    expect(page.locator("#documents select[name=category] option:checked")).to_have_text(
        "Pre- and post-project impact appraisal")

    # the World Bank's interest payments (type 5) count in none of the platform's finance
    # lines: the transactions are listed with their type's name and their currency
    _open(page, live_server,
          "Jordan Inclusive, Transparent and Climate Responsive Investments Program For "
          "Results")
    transactions = page.locator("#published-transactions tbody tr")
    expect(transactions).to_have_count(7)
    interest = transactions.filter(has_text="Interest Payment")
    expect(interest).to_have_count(3)
    expect(interest.first.locator("td").nth(2)).to_have_text("-$4,042,340.00")
    expect(transactions.filter(has_text="Disbursement")).to_have_count(3)
    # 150 budgets are counted, the table folded until opened
    budgets = page.locator("#published-budgets")
    expect(budgets.locator("summary")).to_have_text("150 budgets and planned disbursements")
    expect(budgets.locator("table")).to_be_hidden()
    budgets.locator("summary").click()
    expect(budgets.locator("tbody tr").first.locator("td").nth(2)).to_contain_text("$")
    # the qualitative indicators' baselines and targets, sentences of up to 379 characters
    # (empty cells while the platform held 100), are shown whole, wrapped in their cells
    published = etree.parse(str(PUBLISHED / "worldbank-activity.xml"))
    [baseline] = published.xpath("//result[8]/indicator/baseline/@value")
    [target] = published.xpath("//result[8]/indicator/period/target/@value")
    assert (len(baseline), len(target)) == (209, 379)
    row = page.locator("#results table.results").nth(7).locator("tbody tr").first
    expect(row.locator("td.value").nth(0)).to_have_text(f"{baseline} (2020)")
    expect(row.locator("td.value").nth(1)).to_have_text(target)
    cell = row.locator("td.value").nth(1).bounding_box()
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                         "'#results td.value')).lineHeight)")
    assert cell is not None and cell["height"] > 4 * line
    # and no results table is wider than its section, nor the page than the window
    assert page.evaluate("""() => [...document.querySelectorAll('#results table.results')]
        .every((t) => t.getBoundingClientRect().right
                      <= t.closest('section').getBoundingClientRect().right)""")
    assert page.evaluate("document.documentElement.scrollWidth "
                         "<= document.documentElement.clientWidth")


def test_the_french_page_names_finance_kinds_and_levels_and_a_reader_may_only_export(
        page: Page, live_server: LiveServer) -> None:
    analyst, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, analyst)
    _import_file(page, live_server, PUBLISHED / "dfid-bs.xml")
    page.context.add_cookies([{"name": "tocsin_language", "value": "fr",
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/programmes?level=project")
    page.locator("table.data tbody a").first.click()
    expect(page.locator("#finance tbody tr td:first-child")).to_have_text(
        ["budget", "engagement", "dépense"])
    expect(page.get_by_role("button", name="Supprimer projet")).to_be_visible()

    page.context.clear_cookies()
    reader, _ = create_user(live_server.db, "fund_manager", unit="tntd-spmu")
    browser_login(page, live_server, reader)
    _open(page, live_server, "UK Response to Hurricane Joaquin")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete this programme")).to_have_count(0)
    with page.expect_download() as download:  # the reader may export: the link is offered
        page.get_by_role("link", name="IATI XML").click()
    # the programme alone, not its project, whose identifier begins with the programme's
    exported = download.value.path().read_bytes()
    assert re.findall(rb"<iati-identifier>([^<]*)<", exported) == [b"GB-1-205154"]


def test_the_reporting_organisations_type_is_picked_by_name_and_a_refusal_names_its_file_once(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    # OIPA's 2.01 file, all or nothing: its second activity stops it; the file is named once
    _import_file(page, live_server,
                 PUBLISHED / "5e87f792-3d59-4f06-afcf-a8efa8523553-excerpt.xml", "all",
                 heading="Nothing was imported")
    expect(page.locator("p.error")).to_have_text(
        "1 problem in 5e87f792-3d59-4f06-afcf-a8efa8523553-excerpt.xml; nothing was applied")

    # DFID reports as a government (type 10): the form names the type, and a save keeps it
    _import_file(page, live_server, PUBLISHED / "dfid-bs.xml")
    _open(page, live_server, "UK Response to Hurricane Joaquin")
    page.get_by_role("link", name="Edit").click()
    page.locator("details.advanced summary").click()
    kind = page.get_by_label("IATI organisation type")
    expect(kind.locator("option:checked")).to_have_text("Government")
    kind.select_option(label="Multilateral")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("dialog.confirm").get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("UK Response")
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("IATI organisation type").locator("option:checked")).to_have_text(
        "Multilateral")


def test_an_organisation_files_budgets_are_shown_on_its_partners_page(
        page: Page, live_server: LiveServer) -> None:
    # the partner's page showed a line of description and none of the file's budgets
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/programmes")
    form = page.locator("form[action='/programmes/import']")
    form.locator("input[type=file]").set_input_files(
        str(PUBLISHED / "organisation-standard-example-annotated-2.03.xml"))
    form.locator("select[name=kind]").select_option("organisations")
    form.get_by_role("button", name="Import").click()
    page.locator("#organisation-partners tbody a").first.click()
    section = page.locator("#iati-organisation")
    expect(section).to_contain_text("IATI organisation AA-AAA-123456789, read from "
                                    "organisation-standard-example-annotated-2.03.xml (IATI 2.03)")
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(5)
    country = rows.filter(has_text="Budget for a country")
    expect(country.locator("td").nth(0)).to_have_text("Budget for a country Committed")
    expect(country.locator("td").nth(1)).to_have_text("Afghanistan AF")
    expect(country.locator("td").nth(3)).to_have_text("$25,000,000.00")
    expect(rows.filter(has_text="Total expenditure").locator("td").nth(3)).to_have_text(
        "$250,000,000.00")
