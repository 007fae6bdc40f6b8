"""In a real browser: graded information is added and shown, an H2 transfer is refused
with its reason and goes through once the provider consented, a victim is opened only
with a justification, a person is erased after confirming, and the data-protection officer
sees the consultation and the subject-access report."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.factories import LiveServer, browser_login, create_user
from tests.safeguards.helpers import case, person, user
from tocsin.access.principal import Principal

pytestmark = pytest.mark.browser


def _world(server: LiveServer) -> tuple[int, int, str]:
    with server.db.transaction() as s:
        analyst = user(s, "analyst", name="seed")
        c = case(s, analyst, "BR-DP-1")
        person(s, analyst, c, "Ivan Fictional", "suspect")
        victim = person(s, analyst, c, "Vera Fictional", "victim")
        return c.id, victim.id, c.reference


def test_grading_transfer_justification_erasure_and_oversight(
        page: Page, browser: Browser, live_server: LiveServer) -> None:
    case_id, victim_id, reference = _world(live_server)
    username, _ = create_user(live_server.db, "analyst", unit="tntd-spmu")
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/cases/{case_id}")
    expect(page.locator("#subjects")).to_contain_text("Victim: details withheld")
    expect(page.locator("#subjects")).not_to_contain_text("Vera")
    page.locator("#safeguards-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case {reference}")

    # purpose and legal basis of the case
    page.locator("#basis summary").click()
    page.locator("#basis select[name=purpose]").select_option("asset_recovery")
    page.locator("#basis button[type=submit]").click()
    expect(page.locator("#case-basis")).to_contain_text("Tracing, freezing and confiscation")

    # graded information under H2
    page.locator("#information > details > summary").click()
    form = page.locator("#statement-form")
    form.locator("textarea[name=text]").fill("Ivan keeps cash in a fictional garage")
    form.locator("select[name=nature]").select_option("assessment")
    form.locator("input[name=source]").fill("Fictional liaison officer")
    form.locator("select[name=subject_id]").select_option(label="Ivan Fictional")
    form.locator("select[name=scheme]").select_option("6x6")
    form.locator("input[name=grade]").fill("b2")
    form.locator("select[name=handling_code]").select_option("H2")
    form.locator("input[name=provider]").fill("Fictional police of Xland")
    form.get_by_role("button", name="Add information").click()
    info = page.locator("#information")
    expect(info).to_contain_text("6x6 B2")
    expect(info).to_contain_text("Source reliability: Usually reliable")
    expect(info).to_contain_text("Information credibility: Probably true")
    expect(info).to_contain_text("H2: no onward transfer without the provider's consent")
    expect(info).to_contain_text("Assessment")

    # passing it on is refused, saying why
    transfer = page.locator("#transfer-form")
    transfer.locator("input[name=statement_ids]").first.check()
    transfer.locator("input[name=counterpart]").fill("Fictional prosecutor of Yland")
    transfer.locator("textarea[name=justification]").fill("MLA request 7")
    transfer.get_by_role("button", name="Pass on and record").click()
    expect(page.locator("ul.problems")).to_contain_text("not consented to passing it on")
    page.goto(f"{live_server.url}/safeguards/cases/{case_id}")
    page.locator("#information summary", has_text="Record the provider's consent").click()
    page.locator("#information input[name=note]").fill("Provider agreed on 3 May by message")
    page.get_by_role("button", name="Record consent").click()
    transfer.locator("input[name=statement_ids]").first.check()
    transfer.locator("input[name=counterpart]").fill("Fictional prosecutor of Yland")
    transfer.locator("textarea[name=justification]").fill("MLA request 7")
    transfer.get_by_role("button", name="Pass on and record").click()
    expect(page.locator("#sent")).to_contain_text("Fictional prosecutor of Yland")

    # the victim only with a justification
    page.locator("#persons a", has_text="Details withheld").click()
    expect(page.locator("#justify-form")).to_be_visible()
    page.locator("#justify-form textarea").fill("Preparing the hearing of the victim")
    page.get_by_role("button", name="Open the details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vera Fictional")
    expect(page.locator("#category")).to_have_text("Victim")

    # erasing the suspect asks first; the recipient is to be notified
    page.goto(f"{live_server.url}/safeguards/cases/{case_id}")
    page.locator("#persons a", has_text="Ivan Fictional").click()
    page.locator("input[name=reason]").fill("Acquitted")
    page.get_by_role("button", name="Erase everywhere").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("Nothing goes to the trash")
    dialog.get_by_role("button", name="Erase for good").click()
    expect(page.locator("#notices")).to_contain_text("Erasure to Fictional prosecutor of Yland")
    expect(page.locator("#persons")).not_to_contain_text("Ivan")
    page.goto(f"{live_server.url}/safeguards")
    expect(page.locator("#notices")).to_contain_text("Fictional prosecutor of Yland")

    # the data-protection officer
    officer, _ = create_user(live_server.db, "dp_officer", username="officer")
    context = browser.new_context()
    other = context.new_page()
    browser_login(other, live_server, officer)
    other.get_by_role("link", name="Data protection").first.click()
    other.get_by_role("link", name="Oversight of consultations").click()
    expect(other.locator("#entries")).to_contain_text("Preparing the hearing of the victim")
    expect(other.locator("#volumes")).to_contain_text(username)
    other.get_by_role("link", name="Subject-access report").click()
    other.locator("#report-form input[name=name]").fill("vera fictional")
    other.get_by_role("button", name="Make the report").click()
    expect(other.locator("#report")).to_contain_text("1 record(s)")
    expect(other.locator("#report")).to_contain_text("category: Victim")
    expect(other.locator("#report")).to_contain_text(username)
    context.close()
    assert victim_id and Principal  # ids used above
