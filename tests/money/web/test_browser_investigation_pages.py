"""In a real browser, as an investigator following the money: on a phone no investigation
page is wider than the screen; a finding counts "1 account"; figures are grouped; on a
French page the accounts' kinds, the import date and the timeline's axis are French and
an account in no finding shows nothing more; on an Arabic page the findings' panels
mirror (their mark at the start of the line, the score at its end)."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import LiveServer, browser_login, create_user
from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.money import demo, jobs, sets
from tocsin.money.tables import TransactionSet

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDER_THAN_THE_WINDOW = ("document.documentElement.scrollWidth"
                         " > document.documentElement.clientWidth")


def _demo(live_server: LiveServer) -> TransactionSet:
    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
    with live_server.db.transaction() as session:
        found = session.scalar(select(TransactionSet).where(
            TransactionSet.name == demo.DEMO_NAME))
        assert found is not None
        session.expunge(found)
    return found


def _language(page: Page, live_server: LiveServer, language: str) -> None:
    page.context.add_cookies([{"name": "tocsin_language", "value": language,
                               "url": live_server.url}])


def _run_detectors(page: Page) -> None:
    page.locator("#run-detect").click()
    expect(page.locator("#findings li").first).to_have_attribute("data-flagged", "true",
                                                                 timeout=60_000)


def test_on_a_phone_every_investigation_page_fits_the_screen(
        page: Page, live_server: LiveServer) -> None:
    item = _demo(live_server)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/investigations")
    expect(page.locator("#set-list")).to_contain_text("Operation Tidewater")
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)

    page.goto(f"{live_server.url}/investigations/sets/{item.id}")
    page.wait_for_function("() => window.tocsinGraph !== undefined")
    _run_detectors(page)
    # the figures of the summary grouped as the page's language writes them
    expect(page.locator("#detect-status span")).to_contain_text(
        f"of {item.account_count:,} accounts flagged")
    # a structuring finding names its one account: "1 account", not "1 accounts"
    one = page.locator("#findings li", has_text="Structuring").first
    expect(one.locator("small")).to_contain_text(re.compile(r" · 1 account · "))
    one.locator("button").click()
    expect(page.locator("#finding-score")).to_contain_text(
        re.compile(r"· 1 account · \d+ payments? ·"))
    # the ranking and the model's reasons, the longest panel of the page
    page.locator("#run-score").click()
    expect(page.locator("#model-accounts li").first).to_contain_text("of the rise",
                                                                      timeout=90_000)
    page.locator("#model-accounts li button").first.click()
    expect(page.locator("#detail ul.contributions li").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)

    account = page.locator("#model-accounts li strong").first.inner_text()
    for view in ("trace", "timeline"):
        page.goto(f"{live_server.url}/investigations/sets/{item.id}/{view}?account={account}")
        rows = page.locator("#end-points tr" if view == "trace" else "#timeline-rows tr")
        expect(rows.first).to_be_visible(timeout=30_000)
        assert not page.evaluate(WIDER_THAN_THE_WINDOW), view


def test_a_french_page_names_kinds_dates_and_axes_in_french(
        page: Page, live_server: LiveServer) -> None:
    item = _demo(live_server)
    with live_server.db.transaction() as session:
        run = jobs.detect_now(session, Principal.system(), live_server.settings, item.id,
                              jobs.detectors_from(None, None))
    in_findings = {a for f in run["findings"] for a in f["accounts"]}
    accounts = pq.read_table(sets.set_path(live_server.settings, item) / "accounts.parquet",
                             columns=["account_id", "kind"]).to_pylist()
    quiet = next(a["account_id"] for a in accounts
                 if a["kind"] == "domestic" and a["account_id"] not in in_findings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    _language(page, live_server, "fr")
    browser_login(page, live_server, username)

    page.goto(f"{live_server.url}/investigations")
    with i18n.using("fr"):
        imported = i18n.format_date(item.created_at)
    expect(page.locator("#set-list tbody tr td").last).to_have_text(imported)  # 7 déc. 2026

    # an account in no finding: its facts and links, and nothing after them (it said "null")
    page.goto(f"{live_server.url}/investigations/sets/{item.id}?account={quiet}")
    expect(page.locator("#detail h2")).to_have_text(f"Compte {quiet}")
    expect(page.locator("#detail a.chip").first).to_be_visible()
    expect(page.locator("#detail")).not_to_contain_text("null")
    # the accounts drawn, each with its kind in words ("domestic" was the stored code)
    kinds = page.locator("#node-list li small")
    expect(kinds.first).to_be_visible()
    shown = {text.strip() for text in kinds.all_inner_texts()}
    assert "national" in shown and not shown & {"domestic", "merchant", "unknown"}, shown

    page.goto(f"{live_server.url}/investigations/sets/{item.id}/timeline?account={quiet}")
    expect(page.locator("#timeline-rows tr").first).to_be_visible()
    axis = page.evaluate("""() => {
        const option = window.echarts.getInstanceByDom(
            document.getElementById('timeline-chart')).getOption();
        return [option.xAxis[0].axisLabel.formatter(Date.UTC(2024, 1, 8)),
                option.xAxis[0].axisLabel.formatter(Date.UTC(2025, 0, 1)),
                option.yAxis[0].axisLabel.formatter(60000)];
    }""")
    assert axis == ["8 févr.", "2025", "60\u202f000"], axis


def test_an_arabic_page_mirrors_the_findings(page: Page, live_server: LiveServer) -> None:
    item = _demo(live_server)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    _language(page, live_server, "ar")
    browser_login(page, live_server, username)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/investigations/sets/{item.id}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.wait_for_function("() => window.tocsinGraph !== undefined")
    _run_detectors(page)
    finding = page.locator("#findings li").first
    style = finding.evaluate(
        "(li) => [getComputedStyle(li).borderRightWidth, getComputedStyle(li).borderLeftWidth]")
    assert style == ["4px", "0px"], style  # the mark where an Arabic line starts: the right
    score = finding.locator(".score").bounding_box()
    title = finding.locator("strong").bounding_box()
    assert score and title
    # the score at the line's end (the left), apart from the detector's name
    assert score["x"] + score["width"] <= title["x"], (score, title)
