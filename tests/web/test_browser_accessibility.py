"""Accessibility in a real browser: every main page, for every role, passes axe-core with no
serious or critical violation, and the main flows work with the keyboard alone.

The pages are those of the fictional demo workspace (one account per role), so tables,
charts and forms have content. axe-core is the pinned copy under
``tocsin/web/static/vendor`` (``web-assets``), run in the page by the test only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.factories import LiveServer, start_live_server
from tests.web.axe import violations
from tocsin.demo.workspace import load_demo
from tocsin.settings import Settings

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "money"
#: The main page of every area; ``first:`` opens the first record listed on that page.
PAGES = ["/", "/framework", "/commitments", "/programmes", "first:/programmes", "/lessons",
         "/partners", "/events", "first:/events", "/experts", "/coherence", "/investigations",
         "first:/investigations", "/cases", "/screening", "/search?q=labor+trafficking",
         "/search?q=laundring", "/account/password"]
#: Pages with forms that only some roles may use.
WRITER_PAGES = ["/programmes/new", "/investigations/import"]
ADMIN_PAGES = ["/admin/users", "/admin/trash", "/admin/audit"]
ROLES = {"admin": ADMIN_PAGES + WRITER_PAGES, "coordinator": WRITER_PAGES,
         "analyst": WRITER_PAGES, "fundmanager": [], "partner": []}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory,
         sqlite_platform_template: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("accessibility")
    shutil.copy(sqlite_platform_template, folder / "demo.db")
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'demo.db'}",
                        secret_key="a" * 40, cookie_secure=True, demo=True,  # type: ignore[arg-type]
                        access_log="off")
    credentials = load_demo(settings).credentials
    server = start_live_server(settings)
    yield server, credentials
    server.stop()


def _signed_in(browser: Browser, server: LiveServer, credentials: dict[str, str],
               who: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", credentials[who])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


def _open(page: Page, server: LiveServer, path: str) -> str | None:
    """Open ``path`` (or the first record listed there); the path opened, or None if the
    role has no record there."""
    if path.startswith("first:"):
        page.goto(server.url + path.removeprefix("first:"))
        link = page.locator("table.data tbody a").first
        if not link.count():
            return None
        path = link.get_attribute("href") or "/"
    response = page.goto(server.url + path)
    status = response.status if response is not None else None
    assert status == 200, f"{path}: {status}"
    page.wait_for_load_state("networkidle")
    return path


@pytest.mark.parametrize("who", sorted(ROLES))
def test_every_main_page_passes_axe(browser: Browser, demo: tuple[LiveServer, dict[str, str]],
                                    who: str) -> None:
    server, credentials = demo
    page = _signed_in(browser, server, credentials, who)
    failures, checked = [], []
    for path in PAGES + ROLES[who]:
        opened = _open(page, server, path)
        if opened is None:
            continue
        checked.append(opened)
        failures += [f"{opened}: {v}" for v in violations(page)]
    if ROLES[who]:  # the guided import's form, with its list of problems
        page.goto(f"{server.url}/investigations/import")
        page.set_input_files("#wizard-file", str(FIXTURES / "tabular" / "bank_export_bad.csv"))
        page.click("#wizard-upload button[type=submit]")
        page.click("#wizard-import")
        expect(page.locator("#wizard-problems")).to_be_visible()
        checked.append("guided import with problems")
        failures += [f"guided import: {v}" for v in violations(page)]
    page.context.close()
    assert len(checked) >= len(PAGES) - 2, checked
    assert not failures, "\n".join(failures)


def _tab_to(page: Page, predicate: str, limit: int = 120) -> list[str]:
    """Press Tab until ``predicate`` (JS on the focused element ``el``) holds; the path."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => { const el = document.activeElement;"
                                  " return (el.id || el.tagName) + ':' +"
                                  " (el.innerText || el.value || '').trim().slice(0, 30); }"))
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return seen
    raise AssertionError(f"never reached {predicate}: {seen}")


def test_the_guided_import_with_the_keyboard(browser: Browser,
                                             demo: tuple[LiveServer, dict[str, str]]) -> None:
    server, credentials = demo
    page = _signed_in(browser, server, credentials, "analyst")
    # the navigation menu opens and closes with the keyboard and leads to the area
    nav = page.get_by_role("navigation", name="Main")
    _tab_to(page, "el.tagName === 'SUMMARY' && el.innerText.includes('Investigations')")
    page.keyboard.press("Enter")
    expect(nav.locator(".menu-items a[href='/investigations']")).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav.locator(".menu-items a[href='/investigations']")).to_be_hidden()
    page.keyboard.press("Enter")
    _tab_to(page, "el.getAttribute('href') === '/investigations'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/investigations")
    # the main action of the page is reached by Tab
    _tab_to(page, "el.id === 'start-import'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/investigations/import")
    _tab_to(page, "el.id === 'wizard-file'")
    page.set_input_files("#wizard-file", str(FIXTURES / "wizard" / "transfers_us.csv"))
    _tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import transfers_us.csv")
    # a picker changed with the arrow keys updates the preview by itself, then the import
    _tab_to(page, "el.id === 'f-transaction-channel'")
    page.keyboard.press("Home")  # "— not in this file —"
    expect(page.locator("#f-transaction-channel option:checked")).to_have_text(
        "— not in this file —")
    expect(page.locator("#preview tbody tr").first.locator("td").nth(7)).to_have_text("")
    expect(page.locator("#f-transaction-channel")).to_be_focused()
    path = _tab_to(page, "el.id === 'wizard-import'")
    assert any(step.startswith("name:") for step in path)  # the set's name on the way
    page.keyboard.press("Enter")
    expect(page.locator("#import-result a")).to_have_text("transfers_us", timeout=60_000)
    page.context.close()


def test_forms_and_search_with_the_keyboard(browser: Browser,
                                            demo: tuple[LiveServer, dict[str, str]]) -> None:
    server, credentials = demo
    page = _signed_in(browser, server, credentials, "coordinator")
    # the quick search from the top bar
    _tab_to(page, "el.name === 'q'")
    page.keyboard.type("labour")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=labour")
    expect(page.locator("main")).to_contain_text("labour")
    # the programmes list: the main action reached by Tab opens the form
    page.goto(f"{server.url}/programmes")
    _tab_to(page, "el.getAttribute('href') === '/programmes/new'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/programmes/new")
    path = _tab_to(page, "el.type === 'submit'")
    assert len(path) > 3  # the fields come before the button
    page.context.close()
