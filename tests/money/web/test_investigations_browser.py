"""In a real browser: open the fictional case, search an account, run the detectors,
read a finding's reason, expand an account of it on the diagram, trace into a Sankey."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.factories import LiveServer, browser_login, create_user
from tocsin.money import demo

pytestmark = pytest.mark.browser

NODE_COUNT = "() => window.tocsinGraph.nodes().length"
# Screen position of an account of the finding shown, other than its subject, that has
# payments not drawn yet (asked of the API as the page asks it), at a point where a click
# reaches that account (an edge or a label over a node's centre would take the click:
# the renderer's own hit test says which point is free).
MEMBER = """async (subject) => {
  const cy = window.tocsinGraph;
  const set = location.pathname.match(/sets\\/(\\d+)/)[1];
  const shown = new Set(cy.nodes().map((n) => n.id()));
  const others = cy.nodes('[?selectedFinding]').filter((n) => n.id() !== subject);
  const hits = (n) => {
    const m = n.position();
    const hit = cy.renderer().findNearestElement(m.x, m.y, true, false);
    return hit && hit.id() === n.id();
  };
  const grows = async (n) => {
    const account = encodeURIComponent(n.id());
    const url = `/api/v1/investigations/sets/${set}/graph?hops=1&account=${account}`;
    const graph = await (await fetch(url)).json();
    return graph.nodes.some((node) => !shown.has(node.id));
  };
  let pick = null;
  for (const n of [...others.toArray(), ...cy.nodes().toArray()]) {
    if (hits(n) && await grows(n)) { pick = n; break; }
  }
  if (pick === null) return null;
  const p = pick.renderedPosition();
  const box = cy.container().getBoundingClientRect();
  return {id: pick.id(), x: box.left + p.x, y: box.top + p.y};
}"""


def _click_member(page: Page, subject: str) -> tuple[dict[str, Any], Response]:
    """Click an account of the finding (:data:`MEMBER`) on the canvas; the account and the
    neighbourhood the page asked for. On a loaded machine the page may still move between
    the measure and the click (a panel filled late shifts the canvas), and the click then
    reaches no account: measured and clicked again, three times at most."""
    for _ in range(3):
        page.locator("#graph").scroll_into_view_if_needed()
        target = page.evaluate(MEMBER, subject)
        assert target is not None, "no account on the canvas has payments left to draw"
        try:
            with page.expect_response(lambda r: "/graph?" in r.url and "hops=1" in r.url,
                                      timeout=10_000) as reply:
                page.mouse.click(target["x"], target["y"])
        except PlaywrightTimeoutError:
            continue
        return target, reply.value
    raise AssertionError("three clicks on an account of the canvas asked for no neighbourhood")


def test_network_finding_and_trace(page: Page, live_server: LiveServer) -> None:
    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.set_viewport_size({"width": 1500, "height": 1000})

    page.get_by_role("link", name="Investigations", exact=True).first.click()
    page.get_by_role("link", name=demo.DEMO_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Operation Tidewater")
    # the page's script has drawn the empty graph and listens to the search form
    page.wait_for_function("() => window.tocsinGraph !== undefined")

    # search an account and draw its neighbourhood
    page.fill("#account-query", "ACC0000")
    page.get_by_role("button", name="Search").click()
    page.locator("#account-hits button").first.click()
    expect(page.locator("#graph-status")).to_contain_text("accounts,")
    assert page.evaluate(NODE_COUNT) > 1

    # run the detectors (a background job) and open a finding: its reason and its graph
    page.get_by_role("button", name="Run detectors").click()
    expect(page.locator("#detect-status span")).to_contain_text(re.compile(r"\d+ findings?, "),
                                                               timeout=60_000)
    expect(page.locator("#detect-status span")).to_contain_text("accounts flagged")
    # ranked: the flagged findings first, each marked and with its score, then the rest
    flags = page.locator("#findings li").evaluate_all(
        "(items) => items.map((li) => li.dataset.flagged)")
    assert "true" in flags and "false" in flags
    assert flags == sorted(flags, reverse=True)
    first = page.locator("#findings li").first
    expect(first.locator(".flag")).to_have_text("flagged")
    expect(first.locator(".score")).to_have_text(re.compile(r"^[01]\.\d\d$"))
    # an unflagged fan says how its score was judged against the account's history
    page.locator("#findings li[data-flagged='false'] button",
                 has_text="Fan-in").first.click()
    expect(page.locator("#finding-adjustment")).to_contain_text("history")
    first.locator("button").click()
    expect(page.locator("#finding-score")).to_contain_text("flags ")
    # the finding's downloads, named as the set's Export section names them
    ftm = page.locator("#detail a.chip", has_text="FollowTheMoney (JSON lines)")
    expect(ftm).to_have_attribute("href", re.compile(r"/export\?format=ftm&finding=\w+$"))
    expect(page.locator("#finding-reason")).not_to_be_empty()
    assert "account" in page.locator("#finding-reason").inner_text().lower()
    page.wait_for_function("() => window.tocsinGraph.nodes('[?selectedFinding]').length > 1")

    # rank the accounts: the parts of each risk and the model's reasons, in words
    page.get_by_role("button", name="Rank accounts").click()
    expect(page.locator("#score-status span")).to_contain_text("accounts", timeout=60_000)
    expect(page.locator("#risks li").first).to_be_visible()
    expect(page.locator("#model-accounts li").first).to_contain_text("of the rise")
    page.locator("#model-payments li button").first.click()
    reasons = page.locator("#detail ul.contributions li")
    expect(reasons.first).to_contain_text("% of the rise)")
    shown = " ".join(reasons.all_inner_texts() + page.locator("#risks").all_inner_texts())
    assert "_" not in shown and re.search(r"\bPay(er|ee): ", shown), shown

    # click an account of the finding on the canvas: its details show, its neighbours join
    # (once the graphs asked for above have all arrived: a late one redraws the layout)
    page.wait_for_load_state("networkidle")
    before = page.evaluate(NODE_COUNT)
    subject = page.evaluate("() => window.tocsinGraph.nodes('[?selectedFinding]')[0].id()")
    target, reply = _click_member(page, subject)
    expect(page.locator("#detail h2")).to_have_text(f"Account {target['id']}")
    # every account of its neighbourhood is drawn (the canvas grows unless all were there)
    around = [node["id"] for node in reply.json()["nodes"]]
    assert target["id"] in around and len(around) > 1
    page.wait_for_function(
        "(ids) => ids.every((id) => window.tocsinGraph.getElementById(id).nonempty())",
        arg=around)
    assert page.evaluate(NODE_COUNT) >= before

    # trace from that account and see the Sankey and the explanations
    page.get_by_role("link", name="trace from here").click()
    expect(page.locator("#steps li").first).to_be_visible(timeout=30_000)
    expect(page.locator("#sankey canvas, #sankey svg").first).to_be_attached()
    assert page.locator("#steps li").count() > 1
    expect(page.locator("#trace-status")).to_contain_text("traced payments")


def test_upload_of_followthemoney_entities_says_what_was_left_out(
        page: Page, live_server: LiveServer) -> None:
    from pathlib import Path

    fixture = Path(__file__).parents[2] / "fixtures" / "money" / "ftm" / "mixed.jsonl"
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.get_by_role("link", name="Investigations", exact=True).first.click()
    form = page.locator("#upload-form")
    form.locator("input[name=file]").set_input_files(str(fixture))
    form.locator("select[name=format]").select_option("ftm")
    form.locator("input[name=name]").fill("Fictional FtM set")
    # the base currency is picked by its name, the euro unless another is chosen
    base = form.locator("select[name=base_currency]")
    expect(base).to_have_value("EUR")
    base.select_option(label="USD — US Dollar")
    form.locator("button[type=submit]").click()
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Imported Fictional FtM set (2 transactions)",
                                   timeout=60_000)
    expect(result).to_contain_text("left out: 1 Address, 1 Directorship")
    # the list of sets shows the new one (it said there was none beside "Imported …")
    expect(page.locator("#set-list")).to_contain_text("Fictional FtM set")
    expect(page.locator("#set-list-empty")).to_have_count(0)
    expect(page.locator("#job-list")).to_contain_text("File import")
    page.locator("#set-list").get_by_role("link", name="Fictional FtM set").click()
    expect(page.locator("main .meta").first).to_contain_text("amounts in USD")


def test_the_trace_explains_itself_in_russian(page: Page, live_server: LiveServer) -> None:
    from sqlalchemy import select

    from tocsin.access.principal import Principal
    from tocsin.money import jobs
    from tocsin.money.tables import TransactionSet

    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
    with live_server.db.transaction() as session:
        found = session.scalar(select(TransactionSet.id).where(
            TransactionSet.name == demo.DEMO_NAME))
    assert found is not None
    set_id = int(found)
    with live_server.db.transaction() as session:
        run = jobs.detect_now(session, Principal.system(), live_server.settings, set_id,
                              jobs.detectors_from(["scatter_gather"], None))
    start = run["findings"][0]["subject"]
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    switch = page.locator("#language-switch")
    switch.locator("select").select_option("ru")
    with page.expect_navigation():
        switch.locator("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server.url}/investigations/sets/{set_id}/trace?account={start}")
    page.locator("#trace-form button[type=submit]").click()
    expect(page.locator("#steps li").first).to_contain_text(
        f"Отслеживание вперёд от счёта {start}", timeout=30_000)
    expect(page.locator("#steps li").nth(1)).to_contain_text(" ушли с ")  # noqa: RUF001
    ends = page.locator("#end-points tr td:nth-child(3)")
    expect(ends.first).to_be_visible()
    shown = ends.all_inner_texts()
    assert shown and not {"hop limit", "unexplained balance remaining", "cash-out",
                          "foreign bank", "crypto"} & set(shown), shown
    kinds = page.locator("#end-points tr td:nth-child(2)").all_inner_texts()
    assert kinds and not {"domestic", "unknown", "cash", "foreign", "crypto",
                          "merchant"} & set(kinds), kinds


def test_the_models_reasons_name_features_and_detectors_for_a_person(
        page: Page, live_server: LiveServer) -> None:
    """After "Rank accounts" each account and payment the model scored says which features
    raised its score by their labels and values (not the model's column codes), and the
    risk ranking names the detectors by their titles."""
    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/investigations")
    # the owning unit by its name, in the list and on the set's page
    expect(page.locator("main table")).to_contain_text("Strategic Police Matters Unit")
    page.get_by_role("link", name=demo.DEMO_NAME).click()
    page.wait_for_function("() => window.tocsinGraph !== undefined")
    expect(page.locator("main .meta").first).to_contain_text(
        "owned by Strategic Police Matters Unit")
    # the model's part shows once there is something in it, not as empty headings
    expect(page.get_by_role("heading", name="Supervised model")).to_be_hidden()
    page.get_by_role("button", name="Rank accounts").click()
    expect(page.get_by_role("heading", name="Supervised model")).to_be_visible(
        timeout=120_000)
    expect(page.locator("#score-status span")).to_have_text(
        re.compile(r"^top 25 of [\d,]+ accounts$"), timeout=120_000)
    expect(page.locator("#model-payments li").first).to_be_visible()
    shown = page.locator("#model-accounts small, #model-payments small").all_inner_texts()
    assert shown and all(re.search(r"% of the rise\)", text) for text in shown)
    codes = re.compile(r"\b(src|dst)\b|_|\d+h\b")
    assert not [text for text in shown if codes.search(text)]
    page.locator("#model-payments button").first.click()
    reasons = page.locator("#detail ul.contributions li")
    expect(reasons.first).to_contain_text("% of the rise)")
    # the payment itself: who paid whom, when, how much, and the line it was read from
    facts = page.locator("#detail dl.facts")
    expect(facts).to_contain_text(re.compile(r"Payer\s*ACC\d+\s*Payee\s*ACC\d+"))
    expect(facts).to_contain_text(re.compile(r"Amount\s*[\d,]+\.\d\d EUR"))
    expect(facts).to_contain_text(re.compile(r"Read from\s*line [\d,]+ of \S+\.csv"))
    expect(page.locator("#detail a", has_text="trace from here")).to_have_attribute(
        "href", re.compile(r"/trace\?transaction=."))
    # the risk ranking: detectors by their titles, in the list and in an account's reasons
    risks = page.locator("#risks small").all_inner_texts()
    titles = {"Bipartite", "Stack (layering)", "Scatter-gather", "Rapid pass-through",
              "Temporal cycle", "Fan-in", "Fan-out", "Gather-scatter", "Structuring",
              "Split payments", "Fan-in spread over weeks", "Pass-through",
              "Round amounts", "Night-time payments", "Bursts of payments", "Risk of a party"}
    assert risks and all(set(text.split(", ")) <= titles for text in risks), risks
    page.locator("#risks button").first.click()
    expect(page.locator("#detail ul.contributions li").first).to_be_visible()
    strong = page.locator("#detail ul.contributions li strong").all_inner_texts()
    assert all(text.rsplit(" +", 1)[0] in titles for text in strong), strong

    # in French: the findings the ranking stored, by the detectors' French titles, their
    # scores written the French way
    url = page.url
    switch = page.locator("#language-switch")
    switch.locator("select").select_option("fr")
    with page.expect_navigation():
        switch.locator("button").click()
    page.goto(url)
    expect(page.locator("#findings li").first).to_be_visible()
    expect(page.locator("#findings li .score").first).to_have_text(re.compile(r"^[01],\d\d$"))
    shown = page.locator("#findings li strong").all_inner_texts()
    assert "Transit rapide" in shown and not [name for name in shown if "_" in name], shown


def test_amounts_say_their_currency_and_the_timeline_its_directions_in_french(
        page: Page, live_server: LiveServer) -> None:
    """Every amount of a set's pages carries the set's currency (its base currency: a
    figure alone could be euros or lek), and the timeline says which way each payment went
    in the reader's language (it wrote the codes 'in' and 'out' in every language)."""
    from sqlalchemy import select

    from tocsin.money.tables import TransactionSet

    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
        set_id = session.scalar(select(TransactionSet.id))
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    switch = page.locator("#language-switch")
    switch.locator("select").select_option("fr")
    with page.expect_navigation():
        switch.locator("button").click()

    page.goto(f"{live_server.url}/investigations/sets/{set_id}?account=ACC00000001")
    received = page.locator("#detail dl.facts dd").nth(3)
    expect(received).to_contain_text(re.compile(r"^\d+ paiements?, [\d\u202f]+,\d\d EUR$"))
    page.goto(f"{live_server.url}/investigations/sets/{set_id}/timeline?account=ACC00000001")
    expect(page.locator("#timeline-rows tr").first).to_be_visible(timeout=60_000)
    directions = page.locator("#timeline-rows td:nth-child(3)").all_inner_texts()
    assert directions and set(directions) <= {"reçu", "envoyé"}, directions
    amounts = page.locator("#timeline-rows td:nth-child(5)").all_inner_texts()
    assert all(re.fullmatch(r"[\d\u202f\u00a0]+,\d\d EUR", text) for text in amounts), amounts
