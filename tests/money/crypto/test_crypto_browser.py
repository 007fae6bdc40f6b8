"""In a real browser: open a Bitcoin set, add a TagPack, keep the clusters, trace from an
address step by step, find a path, and see the tag with its source on the cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import LiveServer, browser_login, create_user
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.money import sets

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
SPENDER = "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"


def test_bitcoin_page(page: Page, live_server: LiveServer) -> None:
    with live_server.db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        sets.import_set(session, Principal.system(), live_server.settings, "bitcoin",
                        [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                        "December 2010 blocks", "AMBER", unit)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)

    page.get_by_role("link", name="Investigations", exact=True).first.click()
    page.get_by_role("link", name="December 2010 blocks").click()
    page.get_by_role("link", name="Bitcoin").click()
    expect(page.get_by_role("heading", name="Address clusters")).to_be_visible()
    expect(page.get_by_text("computed for this page and not kept")).to_be_visible()

    # add a TagPack, then keep the clustering
    page.set_input_files("input[name=file]", str(FIXTURES / "tagpack-case.yaml"))
    page.get_by_role("button", name="Add the tags").click()
    expect(page.get_by_role("status")).to_contain_text("3 tag(s) added")
    page.get_by_role("button", name="Cluster again and keep the result").click()
    expect(page.get_by_role("status")).to_contain_text("Clustered:")
    row = page.locator("#cluster-table tbody tr").first
    expect(row).to_contain_text("Example")
    expect(row).to_contain_text("source case file 12, annex 3")

    # trace forward from an address, FIFO: steps explained, end points listed
    page.fill("input[name=start]", SPENDER)
    page.select_option("select[name=rule]", "fifo")
    page.get_by_role("button", name="Trace").click()
    expect(page.locator("#trace-steps li").first).to_contain_text("hop 1:")
    expect(page.locator("#trace-steps li").first).to_contain_text("FIFO")
    expect(page.locator("#trace-ends tbody tr").first).to_contain_text("not spent within")
    target = page.locator("#trace-ends tbody tr td code").first.inner_text()

    # the path between the two addresses
    page.fill("input[name=source]", SPENDER)
    page.fill("input[name=target]", target)
    page.get_by_role("button", name="Find the path").click()
    expect(page.locator("#path-hops li")).to_contain_text("74d681e0e03bafa8")

    # a wrong start is said plainly
    page.fill("input[name=start]", "no-such-address")
    page.get_by_role("button", name="Trace").click()
    expect(page.get_by_role("alert")).to_contain_text("neither an address nor a transaction")


EVIL = '<img src=x onerror="window.__tagged=1">Evil & Co'


def _tap(page: Page, node: str) -> None:
    """Tap ``node`` of the Bitcoin graph. The block returns nothing: emit() returns the
    Cytoscape collection, which Playwright would copy to Python with everything it reaches
    (the whole graph, its renderer), taking from seconds to most of a minute."""
    page.evaluate(f"() => {{ window.tocsinBtcGraph.getElementById({node!r}).emit('tap'); }}")


def test_trace_sankey_and_graph(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    """The trace drawn as a Sankey and a graph; text from a TagPack shows as text."""
    from tests.web.axe import violations

    with live_server.db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        item, _ = sets.import_set(session, Principal.system(), live_server.settings, "bitcoin",
                                  [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                                  "Blocks with a strange tag", "AMBER", unit)
        set_id = item.id
        folder = sets.set_path(live_server.settings, item)
    from tocsin.money.crypto import tags, taint
    from tocsin.money.crypto.utxo import open_utxo

    # tag an address the trace ends at with a label that looks like markup
    first = taint.trace(open_utxo(folder), SPENDER, taint.TraceConfig(rule="fifo", min_amount=1))
    end = first.ends[0].address
    pack = tmp_path / "evil.yaml"
    pack.write_text(f"title: t\nsource: test\nconfidence: ownership\ntags:\n"
                    f"  - {{address: {end}, label: '{EVIL}', category: user}}\n")
    tags.import_tagpacks(folder, [pack])
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations/sets/{set_id}/bitcoin?start={SPENDER}"
              "&rule=tiho#trace")
    expect(page.locator("#btc-flow-status")).to_contain_text("addresses and")
    nodes = page.evaluate("() => window.tocsinBtcSankey.getOption().series[0].data.length")
    assert nodes >= 4  # the start, its transaction and the two outputs
    assert page.evaluate("() => window.tocsinBtcGraph.nodes().length") >= 4
    # the tooltip of the tagged end point: the label as text, no element made of it
    index = page.evaluate(f"""() => window.tocsinBtcSankey.getOption().series[0].data
        .findIndex((n) => n.label === {end!r})""")
    assert index >= 0
    page.evaluate(f"() => window.tocsinBtcSankey.dispatchAction("
                  f"{{type: 'showTip', seriesIndex: 0, dataIndex: {index}}})")
    tip = page.locator(".chart-tip").last
    expect(tip).to_contain_text("Evil & Co")
    expect(tip).to_contain_text("<img src=x")
    assert tip.locator("img").count() == 0
    # the graph's detail panel, by selecting the same address
    _tap(page, end)
    detail = page.locator("#btc-node-detail")
    expect(detail).to_contain_text("<img src=x")
    assert detail.locator("img").count() == 0
    assert page.evaluate("() => window.__tagged") is None
    assert violations(page) == []


def test_the_trace_in_russian(page: Page, live_server: LiveServer) -> None:
    """The Bitcoin page in Russian: the steps, why the coins stop, and the end points the
    graph's detail panel lists (from the trace API's ``ends_shown``)."""
    with live_server.db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        item, _ = sets.import_set(session, Principal.system(), live_server.settings, "bitcoin",
                                  [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                                  "Blocks read in Russian", "AMBER", unit)
        set_id = item.id
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    switch = page.locator("#language-switch")
    switch.locator("select").select_option("ru")
    with page.expect_navigation():
        switch.locator("button").click()
    page.goto(f"{live_server.url}/investigations/sets/{set_id}/bitcoin?start={SPENDER}"
              "&rule=haircut#trace")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#trace-steps li").first).to_contain_text(
        "шаг 1: 74d681e0e03b… тратит 0,20 BTC прослеживаемых из 0,20 BTC на входе")
    expect(page.locator("#trace-ends tbody tr").first).to_contain_text(
        "не потрачен в пределах набора")
    expect(page.locator("#btc-flow-status")).to_contain_text("транзакц")
    end = page.locator("#trace-ends tbody tr td code").first.inner_text()
    _tap(page, end)
    detail = page.locator("#btc-node-detail")
    expect(detail).to_contain_text("BTC: не потрачен в пределах набора")
    assert "not spent within the set" not in detail.inner_text()
