"""In a real browser: create a programme and a project below it, filter, export, import."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user

pytestmark = pytest.mark.browser


def test_programme_flow(page: Page, tf_live_server: LiveServer) -> None:
    username, _ = create_user(tf_live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, tf_live_server, username)
    page.get_by_role("link", name="Programmes", exact=True).first.click()
    expect(page.get_by_role("heading", name="Programmes")).to_be_visible()
    page.get_by_role("link", name="New programme").click()
    page.fill("input[name=identifier]", "XM-OSCE-BR-1")
    page.fill("input[name=title]", "Browser programme against money laundering")
    page.select_option("select[name=implementing_structure]", "tntd-spmu")
    countries = page.locator("fieldset", has_text="Countries")
    countries.get_by_label("Countries: country 1").fill("Albania")
    countries.get_by_label("Share of country 1 (%)").fill("50")
    countries.get_by_role("button", name="Add a country").click()
    countries.get_by_label("Countries: country 2").fill("Serbia")
    countries.get_by_label("Share of country 2 (%)").fill("50")
    crime = page.locator("fieldset", has_text="Crime areas")
    crime.get_by_label("Crime areas: crime area 1").fill("Money laundering")
    budget = page.locator("fieldset", has_text="Budget per year")
    budget.get_by_label("Budget per year: amount 1").fill("5000")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Browser programme")
    expect(page.locator("#finance")).to_contain_text("5,000.00")

    page.get_by_role("link", name="Add a project below").click()
    page.fill("input[name=identifier]", "XM-OSCE-BR-1-A")
    page.fill("input[name=title]", "Browser project")
    page.locator("fieldset", has_text="Budget per year").get_by_label(
        "Budget per year: amount 1").fill("700")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("p.crumbs")).to_contain_text("Browser programme")

    page.goto(f"{tf_live_server.url}/programmes?level=project")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data")).to_contain_text("Browser project")
    page.goto(f"{tf_live_server.url}/programmes")
    with page.expect_download() as download:
        page.get_by_role("link", name="IATI 2.03 XML").click()
    exported = download.value.path().read_bytes()
    assert exported.count(b"<iati-activity ") == 2

    # import it back: made in the platform, both are named and replaced once confirmed;
    # both records updated, nothing created
    page.set_input_files("input[name=file]", files=[{
        "name": "activities.xml", "mimeType": "application/xml", "buffer": exported}])
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#edited-activities tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Import and replace them").click()
    expect(page.locator("p.ok")).to_contain_text("0 created, 2 updated")

    # the Excel table, worked on while the project is renamed in the platform: importing it
    # names the project (the programme is as exported) and asks before replacing it
    page.goto(f"{tf_live_server.url}/programmes")
    with page.expect_download() as download:
        page.locator("a[href^='/programmes/export/table.xlsx']").click()
    table = download.value.path().read_bytes()
    page.goto(f"{tf_live_server.url}/programmes?level=project")
    page.get_by_role("link", name="Browser project").click()
    page.get_by_role("link", name="Edit").click()
    page.fill("input[name=title]", "Project renamed meanwhile")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("dialog.confirm").get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Project renamed meanwhile")
    page.goto(f"{tf_live_server.url}/programmes")
    page.select_option("select[name=kind]", "table")
    page.set_input_files("input[name=file]", files=[{
        "name": "activities.xlsx", "buffer": table,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Replace what was changed in the platform?")
    expect(page.locator("p.lead")).to_contain_text("since the table was exported")
    edited = page.locator("#edited-activities tbody tr")
    expect(edited).to_have_count(1)
    expect(edited).to_contain_text("Project renamed meanwhile")
    page.get_by_role("button", name="Import and replace them").click()
    expect(page.locator("p.ok")).to_contain_text("0 created, 2 updated")
    expect(page.locator("#replaced")).to_contain_text("XM-OSCE-BR-1-A")
    page.goto(f"{tf_live_server.url}/programmes?level=project")
    expect(page.locator("table.data")).to_contain_text("Browser project")
