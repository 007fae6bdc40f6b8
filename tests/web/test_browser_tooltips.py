"""In a real browser: chart tooltips show account ids and other data as text, never as HTML."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import LiveServer, browser_login, create_user
from tocsin.money import demo
from tocsin.money.tables import TransactionSet

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.pwned=1">'
#: Call the chart's own tooltip formatter with hostile data; report what it would show.
PROBE = """([selector, params]) => {
  const chart = window.echarts.getInstanceByDom(document.querySelector(selector));
  const option = chart.getOption();
  const formatter = option.tooltip[0].formatter;
  return params.map((p) => {
    const out = formatter(p);
    if (typeof out === "string") return {html: true, text: out};
    const box = document.createElement("div");
    box.append(out);
    return {html: false, text: box.textContent, elements: box.querySelectorAll("img").length};
  });
}"""


def test_trace_and_timeline_tooltips_escape_account_ids(page: Page,
                                                        live_server: LiveServer) -> None:
    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
        set_id = session.scalar(select(TransactionSet.id))
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)

    page.goto(f"{live_server.url}/investigations/sets/{set_id}/trace?account=ACC00000001")
    expect(page.locator("#trace-status")).to_contain_text("traced payments", timeout=60_000)
    shown = page.evaluate(PROBE, ["#sankey", [
        {"dataType": "edge", "data": {"source": HOSTILE, "target": "B", "value": 5}},
        {"dataType": "node", "data": {"account": HOSTILE, "kind": "<b>k</b>", "end": HOSTILE}},
    ]])
    for item in shown:
        assert not item["html"] and item["elements"] == 0
        assert HOSTILE in item["text"]

    page.goto(f"{live_server.url}/investigations/sets/{set_id}/timeline?account=ACC00000001")
    expect(page.locator("#timeline-status")).to_contain_text("payments", timeout=60_000)
    shown = page.evaluate(PROBE, ["#timeline-chart", [
        {"seriesName": "in from", "value": [0, 5],
         "data": {"txn": HOSTILE, "counterparty": HOSTILE}},
    ]])
    assert not shown[0]["html"] and shown[0]["elements"] == 0
    assert HOSTILE in shown[0]["text"]
    assert page.evaluate("() => window.pwned") is None
