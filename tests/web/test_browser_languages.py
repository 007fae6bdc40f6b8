"""In a real browser: the header switch turns the pages Russian with no template text left in
English, and Arabic lays the page out right to left."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tocsin import i18n

pytestmark = pytest.mark.browser

#: The main page of every area (an administrator sees them all).
MAIN_PAGES = ["/", "/framework", "/framework/crime-areas", "/framework/stages",
              "/framework/structures", "/framework/instruments", "/commitments",
              "/coherence", "/programmes", "/lessons", "/partners", "/events", "/experts",
              "/investigations", "/cases", "/safeguards", "/screening", "/search?q=money",
              "/admin/users", "/admin/audit", "/account/password"]

#: Every text node and read attribute of the page, trimmed.
TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const p = walker.currentNode.parentElement;
    // <mark> holds the words searched for: data, not template text
    if (p && !['SCRIPT', 'STYLE', 'MARK'].includes(p.tagName))
      out.push(walker.currentNode.nodeValue);
  }
  for (const el of document.querySelectorAll('[title],[placeholder],[aria-label]'))
    for (const a of ['title', 'placeholder', 'aria-label'])
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
  return out.map(t => t.replace(/\\s+/g, ' ').trim()).filter(t => t);
}"""


def _english_that_russian_changes() -> set[str]:
    """Template messages whose Russian text differs (and needs no values filled in)."""
    with (i18n.LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="ru")
    return {m.id for m in catalog if isinstance(m.id, str) and m.id and m.string
            and m.string != m.id and "%" not in m.id and re.search(r"[A-Za-z]{3}", m.id)}


def _switch(page: Page, language: str) -> None:
    switch = page.locator("#language-switch")
    switch.locator("select").select_option(language)
    with page.expect_navigation():
        switch.locator("button").click()


def test_switching_to_russian_leaves_no_english_template_text(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "administrator", unit="tntd-spmu")
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(page, live_server, username)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _switch(page, "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()

    english = _english_that_russian_changes()
    left: dict[str, list[str]] = {}
    for path in MAIN_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        found = sorted(set(page.evaluate(TEXTS)) & english)
        if found:
            left[path] = found
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
    assert left == {}, f"English template text on Russian pages: {left}"

    # the choice stays with the user: a new browser session opens in Russian
    page.context.clear_cookies()
    browser_login(page, live_server, username)
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_arabic_lays_the_page_out_right_to_left(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(page, live_server, username)
    _switch(page, "ar")
    page.goto(f"{live_server.url}/framework/crime-areas")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    # translated by the starter catalog, and the reference names from the YAML
    expect(page.get_by_role("button", name="تسجيل الخروج")).to_be_visible()
    expect(page.get_by_text("غسل الأموال")).to_be_visible()

    brand = page.locator("header.topbar .brand").bounding_box()
    nav = page.get_by_role("navigation", name="القائمة الرئيسية").bounding_box()
    assert brand and nav
    assert brand["x"] > nav["x"], "the brand should start the header on the right"
    assert brand["x"] + brand["width"] > 1280 - 80

    # table cells start on the right: a cell's text hugs its right edge
    td = page.locator("table.data tbody td:has(> a)").first
    cell_box = td.locator("a").first.bounding_box()
    td_box = td.bounding_box()
    assert cell_box and td_box
    assert (td_box["x"] + td_box["width"]) - (cell_box["x"] + cell_box["width"]) < 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    # the tree of structures is indented from the right
    page.goto(f"{live_server.url}/framework/structures")
    tree = page.locator("ul.tree ul.tree").first
    if tree.count():
        style = tree.evaluate("e => getComputedStyle(e).borderRightWidth")
        assert style != "0px"
