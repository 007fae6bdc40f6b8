"""In a real browser: the header switch turns the pages Russian with no template text left in
English, and Arabic lays the page out right to left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tocsin import i18n

pytestmark = pytest.mark.browser

WIZARD_FILE = Path(__file__).parent.parent / "fixtures" / "money" / "wizard" / "transfers_us.csv"

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


def _english_patterns() -> re.Pattern[str]:
    """Every message Russian translates that has values, as one pattern: the values match
    any text, the words around them must be English to match (two words at least)."""
    with (i18n.LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="ru")
    patterns = []
    for m in catalog:
        if not (isinstance(m.id, str) and m.string and m.string != m.id and "%(" in m.id):
            continue
        pieces = re.split(r"(%\([a-z_0-9]+\)s|%%)", m.id)
        fixed = "".join(p for p in pieces if not p.startswith("%"))
        if len(re.findall(r"[A-Za-z]{3,}", fixed)) < 2:  # one word could be user data
            continue
        patterns.append("".join(".+?" if p.startswith("%(") else "%" if p == "%%"
                                else re.escape(p) for p in pieces))
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _english_left(page: Page, english: set[str], filled: re.Pattern[str]) -> list[str]:
    """Template and Python messages still in English on the page (apart from user data)."""
    left = []
    for text in set(page.evaluate(TEXTS)):
        # a reason after its location: "<code>…</code>: reason"
        bare = text.lstrip(":·\u2014\u2013 ").strip()
        if text in english or bare in english or filled.fullmatch(bare):
            left.append(text)
    return sorted(left)


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


def test_the_main_flows_in_russian_meet_no_english(page: Page, live_server: LiveServer,
                                                   tmp_path: Path) -> None:
    """Sign in with the sign-in page's switch, create a record (refused, then accepted),
    see its safeguard markers and the partners, import a file (refused, naming its
    problems), start a guided import, search, and meet an error page: every message on the
    way, from templates, Python and scripts, in Russian."""
    username, password = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    english, filled = _english_that_russian_changes(), _english_patterns()
    page.set_viewport_size({"width": 1280, "height": 800})
    seen: dict[str, list[str]] = {}

    def check(step: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        found = _english_left(page, english, filled)
        if found:
            seen[step] = found

    # the sign-in page: no session yet, the switch keeps the choice in a cookie
    page.goto(f"{live_server.url}/login")
    switch = page.locator("#login-language")
    switch.locator("select").select_option("ru")
    with page.expect_navigation():
        switch.locator("button").click()
    check("sign-in page")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Войти", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    check("start page")

    # create a record: a parent that does not exist is refused at its place, in Russian
    page.goto(f"{live_server.url}/programmes/new")
    with i18n.using("ru"):  # made by a script, from the page's catalog (CSP-safe data block)
        expect(page.locator("button.add-result")).to_have_text(i18n.gettext("Add a result"))
    check("new programme form")
    page.locator("input[name=title]").fill("Программа проверки языков")
    page.locator("input[name=identifier]").fill("XM-OSCE-2026-RU-1")
    page.locator("input[name=parent_identifier]").fill("XM-NO-SUCH-PARENT")
    page.locator("input[name=planned_end]").fill("2020-01-01")
    page.get_by_role("button", name="Создать").click()
    expect(page.locator(".problems-summary")).to_be_visible()
    expect(page.locator(".problems-summary")).to_contain_text("XM-NO-SUCH-PARENT")
    check("refused programme")
    page.locator("input[name=parent_identifier]").fill("")
    page.locator("input[name=planned_end]").fill("")
    page.get_by_role("button", name="Создать").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Программа проверки языков")
    check("created programme")

    # its human-rights and gender markers: the safeguard markers named in Russian
    page.locator("#markers-link").click()
    expect(page.locator("#markers-form")).to_contain_text("Компонент прав человека")
    expect(page.locator("#markers-form")).to_contain_text("Гендерное равенство")
    check("markers")

    # the partners: a reference organization under its official Russian name
    page.goto(f"{live_server.url}/partners")
    expect(page.get_by_role("link", name=(
        "Управление Организации Объединенных Наций по наркотикам и преступности"))).to_be_visible()
    check("partners")

    # an import that is refused names every problem in Russian
    bad = tmp_path / "activities.csv"
    bad.write_text("identifier,colour\nXM-1,red\n", encoding="utf-8")
    page.goto(f"{live_server.url}/programmes")
    form = page.locator("form[action='/programmes/import']")
    form.locator("input[type=file]").set_input_files(str(bad))
    form.locator("select[name=kind]").select_option("table")
    form.locator("button[type=submit]").click()
    expect(page.locator("ul.problems")).to_contain_text("colour")
    check("refused import")

    # the guided import of payments: the mapping page, its labels and its preview
    page.goto(f"{live_server.url}/investigations/import")
    check("guided import")
    page.locator("#wizard-file").set_input_files(str(WIZARD_FILE))
    page.locator("#wizard-upload button[type=submit]").click()
    expect(page.locator("#wizard-form")).to_be_visible()
    check("column mapping")
    # ... carried out as a background job: its outcome, then the job list's state and message
    page.locator("#wizard-import").click()
    page.wait_for_url(re.compile(r"/investigations\?job="))
    expect(page.locator("#import-result a")).to_be_visible(timeout=60_000)
    check("import finished")
    page.goto(f"{live_server.url}/investigations")
    with i18n.using("ru"):
        expect(page.locator("#job-list tbody tr").first).to_contain_text(
            str(i18n.N_("done")))
    check("job list")

    # search, and an error page
    page.goto(f"{live_server.url}/search?q=Программа")
    expect(page.get_by_text("Программа проверки языков").first).to_be_visible()
    check("search")
    response = page.goto(f"{live_server.url}/programmes/999999999")
    assert response is not None and response.status == 404
    check("error page")

    assert seen == {}, f"English on Russian pages: {seen}"


def test_the_scripts_count_in_the_pages_language(page: Page, live_server: LiveServer) -> None:
    """A script's message with a count takes the form the page's language gives that count:
    one, few or many in Russian (1 and 21, 2 to 4 and 122, 5 to 20 and 111), one or other
    in English, without a "(s)"."""
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    count = """(n) => window.tocsinPlural("%(count)s payment, %(amount)s",
        "%(count)s payments, %(amount)s", n, {count: n, amount: "5,00"})"""
    page.goto(f"{live_server.url}/investigations")
    assert [page.evaluate(count, n) for n in (1, 2, 1001)] == [
        "1 payment, 5,00", "2 payments, 5,00", "1001 payments, 5,00"]
    _switch(page, "ru")
    page.goto(f"{live_server.url}/investigations")
    shown = {n: page.evaluate(count, n) for n in (1, 21, 2, 122, 5, 111, 1001, 1002, 1005)}
    assert shown == {1: "1 платёж, 5,00", 21: "21 платёж, 5,00", 2: "2 платежа, 5,00",
                     122: "122 платежа, 5,00", 5: "5 платежей, 5,00",
                     111: "111 платежей, 5,00", 1001: "1001 платёж, 5,00",
                     1002: "1002 платежа, 5,00", 1005: "1005 платежей, 5,00"}
