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
