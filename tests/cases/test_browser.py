"""In a real browser: a trace becomes an asset, it is frozen and confiscated, an MLA
request is checked, its letter generated and sent, and the statistics count it —
every step in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import LiveServer, browser_login, create_user
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.access.users import unit_by_code
from tocsin.money import jobs, sets
from tocsin.money.trace import TraceConfig

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parents[1] / "fixtures" / "money" / "amlworld" / "Tiny_Trans.csv"
START = "070:100428660"


def _set_and_end(server: LiveServer) -> tuple[int, str, float]:
    with server.db.transaction() as s:
        item, _ = sets.import_set(s, Principal.system(), server.settings, "amlworld", [FIXTURE],
                                  name="Fictional tiny set", handling="GREEN",
                                  unit_id=unit_by_code(s, "tntd-spmu").id)
        trace = jobs.trace_now(s, Principal.system(), server.settings, item.id, [START], [],
                               TraceConfig())["trace"]
        end = max(trace["end_points"], key=lambda e: e["amount"])
        return item.id, end["account"], end["amount"]


def test_trace_to_confiscation_and_mla_request(page: Page, live_server: LiveServer) -> None:
    set_id, end_account, amount = _set_and_end(live_server)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.get_by_role("link", name="Cases", exact=True).first.click()
    page.fill("input[name=reference]", "BR-CASE-1")
    page.fill("input[name=title]", "Fictional browser case")
    page.locator("select[name=crime_area]").select_option("money_laundering")
    page.fill("input[name=opened_on]", "2022-08-01")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fictional browser case")
    case_url = page.url

    # the trace's end point becomes an asset
    page.locator("summary", has_text="Asset from a trace").click()
    form = page.locator("#from-trace")
    form.locator("select[name=set_id]").select_option(str(set_id))
    form.locator("input[name=accounts]").fill(START)
    form.locator("input[name=end_account]").fill(end_account)
    form.locator("input[name=identified_on]").fill("2022-09-10")
    form.locator("select[name=country]").select_option("AT")
    form.get_by_role("button", name="Trace and record the asset").click()
    expect(page.locator("#trace-link")).to_contain_text(end_account)
    expect(page.locator("#current-value")).to_contain_text(f"{amount:,.2f}")
    asset_url = page.url

    # an order dated before the identification is refused, naming the field
    stage = page.locator("#stage-form")
    stage.locator("select[name=stage]").select_option("freeze")
    stage.locator("input[name=on_date]").fill("2022-09-20")
    stage.locator("input[name=authority]").fill("Fictional investigating judge")
    stage.locator("input[name=order_reference]").fill("FRZ-1")
    stage.locator("input[name=order_date]").fill("2022-09-01")
    stage.locator("input[name=legal_basis]").fill("Code of criminal procedure (fictional)")
    stage.locator("select[name=order_status]").select_option("final")
    stage.get_by_role("button", name="Record stage").click()
    expect(page.locator("ul.problems")).to_contain_text("stage.order_date")
    page.goto(asset_url)
    stage.locator("select[name=stage]").select_option("freeze")
    stage.locator("input[name=on_date]").fill("2022-09-20")
    stage.locator("input[name=authority]").fill("Fictional investigating judge")
    stage.locator("input[name=order_reference]").fill("FRZ-1")
    stage.locator("input[name=order_date]").fill("2022-09-19")
    stage.locator("input[name=legal_basis]").fill("Code of criminal procedure (fictional)")
    stage.locator("select[name=order_status]").select_option("final")
    stage.locator("input[name=executed_on]").fill("2022-09-21")
    stage.get_by_role("button", name="Record stage").click()
    expect(page.locator("strong[data-stage]")).to_have_text("freeze")
    stage.locator("select[name=stage]").select_option("confiscate")
    stage.locator("input[name=on_date]").fill("2023-02-01")
    stage.locator("input[name=authority]").fill("Fictional district court")
    stage.locator("input[name=order_reference]").fill("CONF-1")
    stage.locator("input[name=order_date]").fill("2023-02-01")
    stage.locator("input[name=legal_basis]").fill("Criminal code (fictional)")
    stage.locator("select[name=order_status]").select_option("under_appeal")
    stage.get_by_role("button", name="Record stage").click()
    expect(page.locator("strong[data-stage]")).to_have_text("confiscate")

    # the MLA request: incomplete first, then complete, letter, sent
    page.goto(case_url)
    page.locator("summary", has_text="New request").click()
    request = page.locator("#new-request")
    request.locator("select[name=counterpart_country]").select_option("AT")
    request.locator("input[name=reference]").fill("BR-MLA-1")
    request.locator("input[name=created_on]").fill("2022-09-12")
    request.get_by_role("button", name="Record request").click()
    expect(page.locator("#completeness")).to_contain_text("missing")
    expect(page.locator("#untoc-source")).to_contain_text("General Assembly resolution 55/25")
    page.goto(case_url)
    page.locator("summary", has_text="New request").click()
    request.locator("select[name=counterpart_country]").select_option("AT")
    request.locator("input[name=reference]").fill("BR-MLA-2")
    request.locator("input[name=requesting_authority]").fill("Fictional prosecutor")
    request.locator("input[name=requested_authority]").fill("Fictional ministry of justice")
    request.locator("input[name=legal_basis]").fill("UNTOC art. 18")
    request.locator("input[name=language]").fill("en")
    request.locator("textarea[name=subject_matter]").fill("Laundering investigation")
    request.locator("textarea[name=facts]").fill("Funds traced to the account abroad.")
    request.locator("textarea[name=assistance]").fill("Freeze the account; bank records.")
    request.locator("textarea[name=purpose]").fill("Evidence and confiscation.")
    request.locator("input[name=created_on]").fill("2022-09-12")
    request.get_by_role("button", name="Record request").click()
    expect(page.locator("#ready")).to_be_visible()
    page.locator("select[name=format]").select_option("pdf")
    page.get_by_role("button", name="Generate letter").click()
    expect(page.locator("#letters")).to_contain_text("version 1 (pdf)")
    status = page.locator("#status-form")
    status.locator("select[name=status]").select_option("sent")
    status.locator("input[name=on_date]").fill("2022-09-13")
    status.get_by_role("button", name="Change status").click()
    expect(page.locator("#status")).to_have_text("sent")

    # the case shows the exchange with the letter; the statistics count the orders
    page.goto(case_url)
    expect(page.locator("#exchanges")).to_contain_text("letter version 1")
    page.get_by_role("link", name="Cases", exact=True).first.click()
    page.get_by_role("link", name="Statistics").click()
    expect(page.locator("tr[data-metric=freezing_orders_issued]")).to_contain_text("2022")
    expect(page.locator("tr[data-metric=confiscation_orders_issued]")).to_contain_text("2023")
    expect(page.locator("tr[data-metric=requests_outgoing]")).to_contain_text("2022")

    with live_server.db.transaction() as s:
        details = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.record_type == "case", AuditEntry.username == username)).all()
    for step in ("opened BR-CASE-1", "identified", ": trace on", ": freeze on",
                 ": confiscate on", "letter version 1 (pdf)", ": sent"):
        assert any(step in d for d in details), step
