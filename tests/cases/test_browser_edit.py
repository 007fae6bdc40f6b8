"""In a real browser: the case's details are edited on the case page. Only a user who
may write the case sees the form; saving asks first and names the fields that would be
replaced; the old values stay in the audit log."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import LiveServer, browser_login, create_user
from tocsin.access.tables import AuditEntry

pytestmark = pytest.mark.browser


def _open_case(page: Page, live_server: LiveServer) -> str:
    page.goto(f"{live_server.url}/cases")
    page.fill("input[name=reference]", "BR-EDIT-1")
    page.fill("input[name=title]", "Fictional harbour case")
    page.fill("textarea[name=summary]", "Cash moved through a fictional port.")
    page.fill("input[name=opened_on]", "2022-08-01")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fictional harbour case")
    return page.url


def test_edit_case_details_with_confirmation(page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    case_url = _open_case(page, live_server)

    page.locator("#edit-case summary").click()
    form = page.locator("#edit-case form")
    expect(form.locator("input[name=title]")).to_have_value("Fictional harbour case")
    expect(form.locator("select[name=handling]")).to_have_value("AMBER")
    form.locator("input[name=title]").fill("Fictional harbour and airport case")
    form.locator("textarea[name=summary]").fill("Cash moved through a port and an airport.")

    # saving asks first and names what would change; Cancel keeps everything
    form.get_by_role("button", name="Save changes").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("Changed: Title; Summary.")
    expect(dialog).to_contain_text("audit log")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert page.url == case_url
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Fictional harbour case TLP:AMBER")

    form.get_by_role("button", name="Save changes").click()
    page.locator("dialog.confirm").get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Fictional harbour and airport case")
    expect(page.locator("p.lead")).to_have_text("Cash moved through a port and an airport.")

    # a reference already used by another case is refused, naming the field
    page.goto(f"{live_server.url}/cases")
    page.fill("input[name=reference]", "BR-EDIT-2")
    page.fill("input[name=title]", "Another fictional case")
    page.get_by_role("button", name="Open case").click()
    page.locator("#edit-case summary").click()
    page.locator("#edit-case input[name=reference]").fill("BR-EDIT-1")
    page.locator("#edit-case").get_by_role("button", name="Save changes").click()
    page.locator("dialog.confirm").get_by_role("button", name="Save changes").click()
    expect(page.locator("ul.problems")).to_contain_text("case.reference")

    with live_server.db.transaction() as s:
        details = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.record_type == "case", AuditEntry.username == username,
            AuditEntry.detail.like("case details changed%"))).all()
    assert len(details) == 1
    assert "'Fictional harbour case' → 'Fictional harbour and airport case'" in details[0]
    assert "Cash moved through a fictional port." in details[0]  # the old value is kept

    # a reader who may not write the case sees it without the form
    page.context.clear_cookies()
    reader, _ = create_user(live_server.db, "analyst", unit="oceea")
    browser_login(page, live_server, reader)
    page.goto(case_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("airport case")
    expect(page.locator("#edit-case")).to_have_count(0)


def test_import_followthemoney_entities_into_the_case(page: Page,
                                                      live_server: LiveServer) -> None:
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "fixtures" / "money" / "ftm" / "mixed.jsonl"
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    _open_case(page, live_server)
    form = page.locator("#import-entities")
    form.locator("input[name=file]").set_input_files(str(fixture))
    form.get_by_role("button", name="Import entities").click()
    subjects = page.locator("#subjects")
    expect(subjects).to_contain_text("Ivan Fictionalov")
    expect(subjects).to_contain_text("Harbour Fictional Trading SRL")
    expect(subjects).to_contain_text("RO49AAAA1B31007593840000")
    notes = page.locator("#notes")
    expect(notes).to_contain_text("4 subjects added; 6 entities not held by the case")
    expect(notes).to_contain_text("mixed.jsonl:7: Directorship")
    # a file that is not FollowTheMoney is refused, naming the line
    bad = Path(live_server.settings.data_dir) / "bad.jsonl"
    bad.write_text('{"id": "x", "schema": "Person"}\nnot json\n', encoding="utf-8")
    page.locator("#import-entities input[name=file]").set_input_files(str(bad))
    page.locator("#import-entities").get_by_role("button", name="Import entities").click()
    expect(page.locator("ul.problems")).to_contain_text("bad.jsonl:2")


def test_coordinator_changes_a_directory_entry(page: Page, live_server: LiveServer) -> None:
    from datetime import date

    from tocsin.access.principal import Principal
    from tocsin.cases import requests
    from tocsin.cases.spec import AuthoritySpec

    with live_server.db.transaction() as s:
        entry = requests.save_authority(s, Principal.system(), AuthoritySpec(
            country="AT", kind="mla", name="Fictional central authority", languages=["de"],
            source="Fictional directory", as_of=date(2025, 1, 1), fictional=True)).id
    analyst, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, analyst)
    page.goto(f"{live_server.url}/cases/authorities")
    expect(page.locator(f"#authority-{entry}")).to_contain_text("Fictional central authority")
    expect(page.locator(".edit-authority")).to_have_count(0)  # analysts do not edit it
    page.context.clear_cookies()

    coordinator, _ = create_user(live_server.db, "coordinator", unit="tntd-spmu")
    browser_login(page, live_server, coordinator)
    page.goto(f"{live_server.url}/cases/authorities")
    row = page.locator(f"#authority-{entry}")
    row.locator("summary", has_text="Change").click()
    row.locator("input[name=languages]").fill("de, en")
    row.locator("input[name=source]").fill("Fictional directory, second edition")
    row.get_by_role("button", name="Save changes").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("Changed: Languages (ISO 639, comma-separated); Source.")
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.locator(f"#authority-{entry}")).to_contain_text(
        "Fictional directory, second edition")
    expect(page.locator(f"#authority-{entry}")).to_contain_text("de, en")
    with live_server.db.transaction() as s:
        detail = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.record_type == "authority", AuditEntry.action == "update")).one()
    assert "source: 'Fictional directory' → 'Fictional directory, second edition'" in detail
