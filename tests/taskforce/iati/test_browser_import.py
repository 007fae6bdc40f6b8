"""In a real browser: an analyst imports what the IATI Datastore answered (JSON), activity
by activity, reads the report and opens an imported activity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.taskforce.iati.test_datastore_answers import _docs, _json

pytestmark = pytest.mark.browser


def test_a_datastore_answer_imported_from_the_programmes_page(
        page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    docs = _docs()
    del docs[4]["iati_xml"]  # one document the Datastore sent without its activity
    answer = tmp_path / "select.json"
    answer.write_bytes(_json(docs, found=120))
    page.goto(f"{live_server.url}/programmes")
    form = page.locator("form[action='/programmes/import']")
    form.locator("input[type=file]").set_input_files(str(answer))
    kind = form.locator("select[name=kind]")
    expect(kind.locator("option:checked")).to_have_text(
        re.compile(r"IATI activities: .* or an IATI Datastore answer \(\.json, \.csv\)"))
    form.locator("select[name=mode]").select_option("each")
    form.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
    expect(page.locator("p.ok")).to_contain_text("7 created")
    report = page.locator("#iati-report")
    expect(report).to_contain_text("refused /response/docs[5]: this document of the IATI "
                                   "Datastore answer has no iati_xml")
    expect(report).to_contain_text("documents 1 to 8 of the 120 its query found")
    # the Spanish ministry's habit over its activities is one line naming them
    expect(report).to_contain_text("/iati-activities/iati-activity[1, 2, 3, 4]/policy-marker[4]"
                                   "/@significance")
    # what was written, each to open from the report
    expect(page.locator("#imported li")).to_have_count(7)
    page.locator("#imported").get_by_role(
        "link", name="UK Core Support to World Food Programme 2011 - 2015").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("UK Core Support to World Food")
    expect(page.locator("main")).to_contain_text("GB-1-201638-101")


PUBLISHED = Path(__file__).parents[2] / "fixtures" / "iati" / "published"


def _import_file(page: Page, live_server: LiveServer, path: Path, mode: str = "all",
                 heading: str = "Import done") -> None:
    page.goto(f"{live_server.url}/programmes")
    form = page.locator("form[action='/programmes/import']")
    form.locator("input[type=file]").set_input_files(str(path))
    form.locator("select[name=mode]").select_option(mode)
    form.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_the_export_is_checked_as_the_iati_validator_would_from_the_programmes_page(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    _import_file(page, live_server, PUBLISHED / "dfid-bs.xml")
    page.get_by_role("link", name="Back to the programmes").click()
    page.get_by_role("link", name="check it as the IATI Validator would").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("IATI export check")
    expect(page.locator("p.ok")).to_have_text(
        "Valid: the 2 activities of the export break no schema or ruleset rule.")
    # the Spanish ministry's file breaks IATI rules the export keeps as published: each
    # problem names the activity it is in, not only its position in the file
    _import_file(page, live_server, PUBLISHED / "MAEC_IATI_INDONESIA-excerpt.xml")
    page.goto(f"{live_server.url}/programmes?q=Personas")
    page.get_by_role("link", name="check it as the IATI Validator would").click()
    expect(page.locator("p.error")).to_contain_text(" problems in the export of 4 activities.")
    rows = page.locator("#export-problems tbody tr")
    first = rows.filter(has_text="policy-marker").first
    expect(first.locator("td").nth(0)).to_have_text(re.compile(r"^ES-DIR3-E04585801-"))
    expect(first.locator("td").nth(2)).to_contain_text("PolicySignificance")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the IATI 2.03 XML").click()
    assert download.value.suggested_filename == "activities.xml"


def test_a_role_without_export_is_offered_no_check_and_refused_it(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "partner_viewer", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/programmes")
    expect(page.get_by_role("link", name="check it as the IATI Validator would")).to_have_count(0)
    answer = page.goto(f"{live_server.url}/programmes/export/iati/check")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_an_organisation_file_goes_into_the_partners_registry_from_the_programmes_page(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    organisation = PUBLISHED / "organisation-standard-example-annotated-2.03.xml"
    page.goto(f"{live_server.url}/programmes")
    form = page.locator("form[action='/programmes/import']")
    form.locator("input[type=file]").set_input_files(str(organisation))
    form.get_by_role("button", name="Import").click()  # as activities: refused, told why
    expect(page.locator("main")).to_contain_text(
        "this is an IATI organisation file (iati-organisations): import it as an "
        "organisation file, into the partners registry")
    for round_ in ("created", "updated"):
        page.goto(f"{live_server.url}/programmes")
        form.locator("input[type=file]").set_input_files(str(organisation))
        form.locator("select[name=kind]").select_option(label=(
            "IATI organisations: a file of 2.01\u20132.03 (.xml), into the partners registry "
            "(all or nothing)"))
        form.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
        expect(page.locator("p.ok")).to_have_text(
            "organisation-standard-example-annotated-2.03.xml: IATI 2.03, "
            + ("1 partner created, 0 updated." if round_ == "created"
               else "0 partners created, 1 updated."))
    expect(page.locator("main ul").first).to_contain_text(
        "kept only as published, in the stored organisation: ")
    row = page.locator("#organisation-partners tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("AA-AAA-123456789")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/partners/\d+$"))
    expect(page.locator("main")).to_contain_text("IATI organisation AA-AAA-123456789")


def test_a_file_over_activities_changed_in_the_platform_asks_before_replacing_them(
        page: Page, live_server: LiveServer) -> None:
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    _import_file(page, live_server, PUBLISHED / "dfid-bs.xml")
    # the same file again: nothing was changed in the platform, nothing to ask
    _import_file(page, live_server, PUBLISHED / "dfid-bs.xml")
    page.goto(f"{live_server.url}/programmes")
    page.get_by_role("link", name="UK Response to Hurricane Joaquin").click()
    page.get_by_role("link", name="Edit").click()
    page.fill("input[name=title]", "Hurricane Joaquin response, as the task force reads it")
    # saving asks first and names what would change; Cancel keeps the activity as it was
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("Replace this activity's values with what you entered? "
                                   "Changed: Title.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/programmes/\d+/edit$"))
    page.get_by_role("button", name="Save", exact=True).click()
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("as the task force reads it")

    for answer in ("Cancel: import nothing", "Import and replace them"):
        page.goto(f"{live_server.url}/programmes")
        form = page.locator("form[action='/programmes/import']")
        form.locator("input[type=file]").set_input_files(str(PUBLISHED / "dfid-bs.xml"))
        form.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Replace what was changed in the platform?")
        edited = page.locator("#edited-activities tbody tr")
        expect(edited).to_have_count(1)  # its project, untouched, is not asked about
        expect(edited).to_contain_text("GB-1-205154")
        expect(edited).to_contain_text("as the task force reads it")
        page.get_by_role("button", name=answer).click()
        if answer.startswith("Cancel"):
            expect(page).to_have_url(f"{live_server.url}/programmes")
            expect(page.locator("main table")).to_contain_text("as the task force reads it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
    # the file did not change since its first import: the report's "unchanged" is the
    # file's; what the platform had changed is said to be replaced
    expect(page.locator("#replaced")).to_have_text(
        "Replaced the values changed in the platform with the file's, as you confirmed: "
        "GB-1-205154.")
    page.get_by_role("link", name="Back to the programmes").click()
    expect(page.locator("main table")).not_to_contain_text("as the task force reads it")
    expect(page.get_by_role("link", name="UK Response to Hurricane Joaquin")).to_be_visible()
    # the file was kept only while the question was open
    assert not list((live_server.settings.data_dir / "uploads").glob("iati-*"))


def test_activities_refused_one_by_one_are_named_by_their_identifiers(
        page: Page, live_server: LiveServer) -> None:
    # OIPA's 2.01 file: its second activity (a component of the first) has a capital-spend
    # without its percentage; the two programmes go in
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    _import_file(page, live_server,
                 PUBLISHED / "5e87f792-3d59-4f06-afcf-a8efa8523553-excerpt.xml", "each")
    expect(page.locator("p.ok")).to_contain_text("2 created")
    refused = page.locator("#refused-activities tbody tr")
    expect(refused).to_have_count(1)
    expect(refused.locator("td").nth(0)).to_have_text("/iati-activities/iati-activity[2]")
    expect(refused.locator("td").nth(1)).to_have_text("GB-1-109616-101")
    expect(page.locator("#iati-report")).to_contain_text(
        "refused /iati-activities/iati-activity[2]/capital-spend: ")
    # only what was written is linked: the refused activity is not
    expect(page.locator("#imported li")).to_have_count(2)
    expect(page.locator("#imported")).not_to_contain_text("GB-1-109616-101")
    # all or nothing: nothing goes in, and the page names the activity that stopped it
    # and says how to take the others in
    _import_file(page, live_server,
                 PUBLISHED / "5e87f792-3d59-4f06-afcf-a8efa8523553-excerpt.xml", "all",
                 heading="Nothing was imported")
    refused = page.locator("#refused-activities tbody tr")
    expect(refused).to_have_count(1)
    expect(refused.locator("td").nth(1)).to_have_text("GB-1-109616-101")
    expect(page.locator("main")).to_contain_text("activity by activity")
    expect(page.locator("ul.problems")).to_contain_text(
        "/iati-activities/iati-activity[2]/capital-spend")
