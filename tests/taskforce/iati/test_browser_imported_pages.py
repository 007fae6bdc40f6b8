"""In a real browser, as a programme officer with an IATI file: the edit form of an imported
activity whose recipient countries the platform holds only in part can be saved; the
programme form keeps its three columns side by side; on a phone neither the activity's
tables, the form nor the import report widen the page."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.taskforce.iati.test_browser_import import PUBLISHED, _import_file

pytestmark = pytest.mark.browser

#: IATI's annotated example: recipient countries AF and AG, regions 489 (OECD-DAC) and A1
#: (the publisher's own), 25 % each; AG is none of the platform's States.
EXAMPLE = PUBLISHED / "activity-standard-example-annotated-2.03.xml"
PHONE = {"width": 390, "height": 844}
WIDER_THAN_THE_WINDOW = ("document.documentElement.scrollWidth"
                         " > document.documentElement.clientWidth")


def _open_imported(page: Page, live_server: LiveServer) -> str:
    page.get_by_role("link", name="Activity title", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Activity title")
    return page.url


def test_an_imported_activity_whose_countries_are_held_in_part_is_saved_from_its_form(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    _import_file(page, live_server, EXAMPLE)
    url = _open_imported(page, live_server)
    page.get_by_role("link", name="Edit", exact=True).click()
    # Afghanistan 25 % with each vocabulary's region 25 %: 50 % of 100 %, the file's
    # Antigua and Barbuda being kept only as published; the form says why, not "wrong"
    expect(page.locator("#recipients-in-part")).to_contain_text(
        "names recipient countries the platform does not hold")
    expect(page.locator(".running-total.off")).to_have_count(0)
    page.fill("input[name=title]", "Activity title, reviewed")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Activity title, reviewed")
    # more than 100 % is still refused before sending
    page.get_by_role("link", name="Edit", exact=True).click()
    page.locator("fieldset", has_text="Countries").get_by_label(
        "Share of country 1 (%)").fill("80")
    expect(page.locator(".running-total.off").first).to_contain_text("105")


def test_the_programme_form_keeps_its_columns_apart_at_every_width(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/programmes/new")
    for legend in ("Countries", "Budget per year"):
        # the fieldsets of one row of columns: each ends before the next begins (they
        # overlapped, as wide as their pickers, and the page was wider than the window)
        named = f"fieldset/legend[starts-with(normalize-space(), '{legend}')]"
        row = page.locator(f"xpath=//div[contains(@class, 'columns')][{named}]/fieldset")
        boxes = [f.bounding_box() for f in row.all()]
        assert len(boxes) == 3 and all(boxes)
        for left, right in pairwise(boxes):
            assert left and right and left["x"] + left["width"] <= right["x"], (legend, boxes)
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)

    page.set_viewport_size(PHONE)
    page.reload()
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)
    amount = page.locator("fieldset", has_text="Budget per year").get_by_label(
        "Budget per year: amount 1").bounding_box()
    assert amount and amount["width"] > 80  # a field for an amount, not a sliver


def test_on_a_phone_the_activity_its_form_and_the_import_report_fit_the_screen(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.set_viewport_size(PHONE)
    _import_file(page, live_server, EXAMPLE)
    # the report names places in the file longer than a line: they wrap
    expect(page.locator("#iati-report")).to_contain_text("http:www.example.org")
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)
    _open_imported(page, live_server)
    # the tables (finance, what the file said, results) scroll inside their own boxes
    for table in page.locator("table.data").all():
        box = table.bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"], box
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)
    page.goto(f"{live_server.url}/programmes")
    assert not page.evaluate(WIDER_THAN_THE_WINDOW)
