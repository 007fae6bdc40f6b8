"""In a real browser at 1280 px: the main navigation is a few menus on one row for every
role, works with the keyboard alone, and a post on a long page returns to its section."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tocsin.access.principal import Principal
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.spec import EventSpec, PanelSpec

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ["administrator", "coordinator", "partner_viewer"])
def test_the_navigation_fits_one_row_at_1280_px(page: Page, live_server: LiveServer,
                                                role: str) -> None:
    username, _ = create_user(live_server.db, role, unit="tntd-spmu")
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(page, live_server, username)
    nav = page.get_by_role("navigation", name="Main")
    entries = nav.locator(":scope > a, :scope > details > summary")
    assert 3 <= entries.count() <= 7
    boxes = [entries.nth(i).bounding_box() for i in range(entries.count())]
    middles = [box["y"] + box["height"] / 2 for box in boxes if box]
    assert max(middles) - min(middles) < 4, f"the navigation wraps or is uneven: {middles}"
    header = page.locator("header.topbar").bounding_box()
    assert header and header["height"] < 70
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out and sign_out["x"] + sign_out["width"] <= 1280  # nothing cut off


def test_the_menus_work_with_the_keyboard(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    browser_login(page, live_server, username)
    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Programmes").focus()
    page.keyboard.press("Enter")
    lessons = nav.get_by_role("link", name="Lessons")
    expect(lessons).to_be_visible()
    page.keyboard.press("Escape")
    expect(lessons).to_be_hidden()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Programmes, then Lessons
    page.keyboard.press("Enter")
    page.wait_for_url("**/lessons")
    expect(nav.locator("summary", has_text="Programmes")).to_have_class("current")


def test_a_post_on_a_long_page_returns_to_its_section(page: Page,
                                                      live_server: LiveServer) -> None:
    with live_server.db.transaction() as session:
        event = events.create_event(session, Principal.system(), EventSpec(
            title="Annual conference", starts_on="2026-03-01",  # type: ignore[arg-type]
            handling="GREEN", owner_unit="tntd-spmu"))
        for n in range(12):
            last = events.add_panel(session, Principal.system(), event.id,
                                    PanelSpec(title=f"Panel {n + 1}", theme="Long " * 80))
        event_id, panel_id = event.id, last.id
    username, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/events/{event_id}")
    panel = page.locator(f"#panel-{panel_id}")
    panel.get_by_label("New recommendation").fill("Share the seizure data monthly")
    panel.get_by_role("button", name="Add recommendation").click()
    page.wait_for_url(f"**/events/{event_id}#panel-{panel_id}")
    expect(panel).to_contain_text("Share the seizure data monthly")
    assert page.evaluate("window.scrollY") > 1000  # still at the panel, not the top
    expect(panel).to_be_in_viewport()
