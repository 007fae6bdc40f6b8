"""The guided import's pages over HTTP: one clear message for a wrong file, an upload that
is its uploader's alone, and an import that happens once however often it is sent."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import MakeUser, login
from tocsin.money.tables import TransactionSet
from tocsin.store.database import Database

WIZARD = Path(__file__).resolve().parents[2] / "fixtures" / "money" / "wizard"
FORM = {"action": "import", "name": "US wires", "handling": "AMBER", "unit": "tntd-spmu",
        "base_currency": "EUR", "date_format": "%m/%d/%Y", "decimal": ".", "negative": "swap",
        "field:transaction.date": "Posted Date", "field:transaction.amount": "Amount",
        "field:transaction.currency": "Currency", "field:source.account": "Sender Account",
        "field:target.account": "Receiver Account"}


def _upload(client: TestClient, csrf: str, name: str, data: bytes) -> str:
    response = client.post("/investigations/import", data={"csrf_token": csrf},
                           files={"file": (name, data, "text/csv")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_a_file_that_is_no_table_is_said_once(client: TestClient, make_user: MakeUser) -> None:
    csrf = login(client, make_user("analyst")[0])
    response = client.post("/investigations/import", data={"csrf_token": csrf},
                           files={"file": ("notes.txt", b"just words\nno columns\n",
                                           "text/plain")})
    assert response.status_code == 422
    text = response.text
    assert text.count("cannot find columns") == 1
    assert "--" not in re.sub(r"<!--.*?-->", "", text.split("<main>")[1])


def test_a_multi_gnn_file_is_told_what_to_import_instead(client: TestClient,
                                                         make_user: MakeUser) -> None:
    # its numbered currencies would be mapped to no currency and every row taken in one
    csrf = login(client, make_user("analyst")[0])
    page = client.get(_upload(client, csrf, "formatted_transactions.csv", (
        b"EdgeID,from_id,to_id,Timestamp,Amount Sent,Sent Currency,Amount Received,"
        b"Received Currency,Payment Format,Is Laundering\n0,0,0,10,3697.34,0,3697.34,0,0,0\n")))
    assert page.status_code == 422
    assert "import the *_Trans.csv it was made from" in page.text


def test_the_upload_is_its_uploaders_and_imports_once(client: TestClient, make_user: MakeUser,
                                                      platform_db: Database) -> None:
    other = make_user("analyst", username="other-analyst")[0]
    csrf = login(client, make_user("analyst")[0])
    page = _upload(client, csrf, "transfers_us.csv", (WIZARD / "transfers_us.csv").read_bytes())
    shown = client.get(page)
    assert shown.status_code == 200 and "Sender Account (e.g. ACC-100234" in shown.text
    first = client.post(page, data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    assert first.status_code == 303 and "job=" in first.headers["location"]
    again = client.post(page, data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    if again.status_code == 303:  # the job still holds the upload: the same job again
        assert again.headers["location"] == first.headers["location"]
    else:  # the job finished and removed the upload: nothing to import twice
        assert again.status_code == 404
    for _ in range(300):
        with platform_db.transaction() as session:
            count = session.scalar(select(func.count()).select_from(TransactionSet))
        if count:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    with platform_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TransactionSet)) == 1
    # someone else never sees another person's upload
    page2 = _upload(client, csrf, "transfers_us.csv", (WIZARD / "transfers_us.csv").read_bytes())
    csrf_other = login(client, other)
    assert client.get(page2).status_code == 404
    assert client.post(page2, data={**FORM, "csrf_token": csrf_other}).status_code == 404


def test_an_excel_file_through_the_pages(client: TestClient, make_user: MakeUser,
                                         platform_db: Database, tmp_path: Path) -> None:
    from tests.money.ingest.test_suggest import _italian_workbook

    csrf = login(client, make_user("analyst")[0])
    data = _italian_workbook(tmp_path / "bonifici.xlsx").read_bytes()
    response = client.post("/investigations/import", data={"csrf_token": csrf},
                           files={"file": ("bonifici.xlsx", data, "application/vnd.openxml"
                                           "formats-officedocument.spreadsheetml.sheet")},
                           follow_redirects=False)
    page = response.headers["location"]
    shown = client.get(page).text
    assert "Excel workbook, sheet Movimenti" in shown
    assert "Marco Ferri" in shown and "25,000.00" in shown  # the preview
    form = {"action": "import", "name": "Bonifici", "handling": "AMBER", "unit": "tntd-spmu",
            "base_currency": "EUR", "date_format": "", "decimal": ".", "negative": "swap",
            "currency": "", "field:transaction.date": "Data valuta",
            "field:transaction.amount": "Importo", "field:transaction.currency": "Divisa",
            "field:source.account": "IBAN ordinante", "field:source.party.name": "Ordinante",
            "field:target.account": "IBAN beneficiario",
            "field:target.party.name": "Beneficiario", "csrf_token": csrf}
    assert client.post(page, data=form, follow_redirects=False).status_code == 303
    for _ in range(300):
        with platform_db.transaction() as session:
            found = session.scalars(select(TransactionSet)).all()
        if found:
            break
        time.sleep(0.1)
    assert [(s.name, s.transaction_count) for s in found] == [("Bonifici", 3)]


def test_a_file_imported_before_is_imported_again_only_when_asked(
        client: TestClient, make_user: MakeUser, platform_db: Database) -> None:
    csrf = login(client, make_user("analyst")[0])
    data = (WIZARD / "transfers_us.csv").read_bytes()
    page = _upload(client, csrf, "transfers_us.csv", data)
    client.post(page, data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    for _ in range(300):
        with platform_db.transaction() as session:
            if session.scalar(select(func.count()).select_from(TransactionSet)):
                break
        time.sleep(0.1)
    time.sleep(0.5)  # the job records its result
    again = _upload(client, csrf, "wires-copy.csv", data)
    refused = client.post(again, data={**FORM, "name": "Copy", "csrf_token": csrf})
    assert refused.status_code == 422
    assert refused.text.count("you imported this file before, as the set “US wires”") == 1
    assert 'name="again"' in refused.text
    forced = client.post(again, data={**FORM, "name": "Copy", "again": "1",
                                      "csrf_token": csrf}, follow_redirects=False)
    assert forced.status_code == 303
    # a different file goes through without a question
    other = _upload(client, csrf, "fr.csv", (WIZARD / "virements_fr.csv").read_bytes())
    assert 'name="again"' not in client.get(other).text


def test_the_lines_below_the_data_are_shown_as_not_read(client: TestClient,
                                                        make_user: MakeUser) -> None:
    csrf = login(client, make_user("analyst")[0])
    banks = WIZARD.parent / "tabular" / "banks"
    page = _upload(client, csrf, "statement.csv",
                   (banks / "statement_closing_balance.csv").read_bytes())
    shown = client.get(page).text
    assert "The last 2 lines of the file do not fit its columns (totals or a balance): they " \
        "are not read (footer_rows)." in shown
    assert "<code>Closing balance,,,,5395.20,GBP</code>" in shown
    assert "expected 6 fields" not in shown and "Ashby Lettings" in shown  # the preview
    plain = _upload(client, csrf, "statement.csv",
                    (banks / "statement_no_footer.csv").read_bytes())
    assert 'id="wizard-footer"' not in client.get(plain).text


def test_a_saved_mapping_keeps_its_labels_and_filters_through_the_form(
        client: TestClient, make_user: MakeUser, platform_db: Database) -> None:
    # a unit's saved mapping (written by hand, with a filter and maps of values the form
    # does not show) fits the upload and is taken; sending the form lost them: every row
    # was imported, the bank places refused, without a word
    from tests.money.ingest.test_suggest import SAVED_WITH_MORE_THAN_THE_FORM
    from tocsin.access.principal import Principal
    from tocsin.access.roles import Role
    from tocsin.access.tables import Unit
    from tocsin.money import mappings

    username = make_user("analyst")[0]
    with platform_db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        mappings.save(session, client.app.state.settings,  # type: ignore[attr-defined]
                      Principal(user_id=None, username=username, role=Role.ANALYST,
                                unit_id=unit), "SAML-D layout", SAVED_WITH_MORE_THAN_THE_FORM)
    csrf = login(client, username)
    data = (WIZARD.parent / "fraud_benchmark" / "SAML-D.csv").read_bytes()
    page = _upload(client, csrf, "SAML-D.csv", data)
    shown = client.get(page)
    kept = re.search(r'<p class="muted" id="wizard-kept">([^<]*)</p>', shown.text)
    assert kept is not None and "the rows it leaves out (filters)" in kept.group(1)
    assert "Payer&#39;s country: the values it maps" in kept.group(1)
    assert '<option value="Is_laundering" selected' in shown.text  # the label, in the form
    form = {"action": "import", "name": "SAML-D", "handling": "AMBER", "unit": "tntd-spmu",
            "base_currency": "EUR", "date_format": "%Y-%m-%d", "decimal": ".",
            "negative": "swap", "csrf_token": csrf,
            **{f"field:{key}": column for key, column in {
                "transaction.date": "Date", "transaction.date.time": "Time",
                "transaction.amount": "Amount", "transaction.currency": "Payment_currency",
                "transaction.channel": "Payment_type", "transaction.label": "Is_laundering",
                "transaction.pattern": "Laundering_type", "source.account": "Sender_account",
                "source.country": "Sender_bank_location",
                "target.account": "Receiver_account"}.items()}}
    sent = client.post(page, data=form, follow_redirects=False)
    assert sent.status_code == 303 and "job=" in sent.headers["location"], sent.text
    for _ in range(300):
        with platform_db.transaction() as session:
            made = session.scalars(select(TransactionSet)).first()
            if made is not None and made.transaction_count:
                assert (made.transaction_count, made.has_labels) == (3, True)
                return
        time.sleep(0.1)
    raise AssertionError("the import did not finish")
