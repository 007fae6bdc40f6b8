"""In a real browser: the heatmap, a coverage drill-down, judging a pair, a what-if and
the report download."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser


def test_main_flow(page: Page, live_server: LiveServer) -> None:
    from tocsin.coherence import demo

    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)

    page.get_by_role("link", name="Coherence", exact=True).first.click()
    expect(page.get_by_role("heading", name="Programme coherence")).to_be_visible()
    expect(page.locator("#threat-heatmap[data-ready='1'] canvas")).to_have_count(1)
    expect(page.locator("#threat-trends[data-ready='1']")).to_have_count(1)

    # drill down a coverage cell without leaving the page
    page.get_by_role("link", name="Coverage").click()
    page.locator("#coverage-matrix a[data-cell^='drug_trafficking|KG']").click()
    expect(page.locator("#drill h2")).to_contain_text("Programmes behind")
    expect(page.locator("#drill")).to_contain_text("Border liaison offices")

    # judge the first candidate pair a duplicate
    page.get_by_role("link", name="Duplicates").click()
    first = page.locator("article.pair").first
    first.locator("input[name=note]").fill("the same course twice")
    first.get_by_role("button", name="Duplicate").click()
    expect(first.locator(".judgement")).to_contain_text("Judged duplicate")

    # a what-if: a planned cyber project in Ukraine closes that gap, nothing is saved
    page.get_by_role("link", name="What-if").click()
    page.fill("input[name=title]", "Planned cyber project")
    page.select_option("select[name=crime_area]", "cybercrime")
    page.select_option("select[name=country]", "UA")
    page.fill("input[name=budget]", "1500000")
    page.get_by_role("button", name="See what changes").click()
    expect(page.locator("#whatif-outcome")).to_contain_text("Closed:")
    expect(page.locator("#whatif-outcome")).to_contain_text("Ukraine")

    # download the fund managers' report
    page.get_by_role("link", name="Threat picture").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (PDF)").click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as handle:
        assert handle.read(4) == b"%PDF"


#: The heatmap's own tooltip for each of its cells: the text it would show.
TOOLTIPS = """() => {
  const chart = window.echarts.getInstanceByDom(document.querySelector("#threat-heatmap"));
  const option = chart.getOption();
  return option.series[0].data.map((d) => {
    const box = document.createElement("div");
    box.append(option.tooltip[0].formatter({data: d}));
    return box.textContent;
  });
}"""


def test_heatmap_tooltips_name_the_indicator_kinds_in_the_page_language(
        page: Page, live_server: LiveServer) -> None:
    from tocsin.coherence import demo

    with live_server.db.transaction() as session:
        demo.load(session, live_server.settings)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    shown = {}
    for language in ("en", "ru"):
        page.context.set_extra_http_headers({"Accept-Language": language})
        page.goto(f"{live_server.url}/coherence")
        expect(page.locator("#threat-heatmap[data-ready='1'] canvas")).to_have_count(1)
        shown[language] = " ".join(page.evaluate(TOOLTIPS))
    assert "Seizures: " in shown["en"] and "Identified victims: " in shown["en"]
    assert "Изъятия: " in shown["ru"] and "Выявленные жертвы: " in shown["ru"]
    assert "Seizures" not in shown["ru"] and "Identified victims" not in shown["ru"]
