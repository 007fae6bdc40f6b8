"""The guided import's pages over HTTP: one clear message for a wrong file, an upload that
is its uploader's alone, and an import that happens once however often it is sent."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import MakeUser, login
from tests.money.web.jobs import API, wait_for_job
from tocsin.money import sets
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
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


KG_FORM = {"action": "import", "name": "Remittances", "handling": "AMBER",
           "unit": "tntd-spmu", "base_currency": "EUR", "date_format": "", "decimal": ".",
           "negative": "swap", "field:transaction.date": "Value date",
           "field:transaction.amount": "Amount", "field:transaction.currency": "Currency",
           "field:source.account": "Sender account", "field:target.account":
           "Beneficiary account"}


def _with_rates(rates: tuple[str, bytes] | None) -> dict[str, tuple[str, bytes, str]]:
    """The guided import's first form: the remittances file, and ``rates`` beside it."""
    files = {"file": ("remittances_kg.csv", (WIZARD / "remittances_kg.csv").read_bytes(),
                      "text/csv")}
    if rates is not None:
        files["rates"] = (rates[0], rates[1], "text/csv")
    return files


def test_a_file_in_several_currencies_imports_with_the_rates_sent_with_it(
        client: TestClient, make_user: MakeUser, settings: Settings,
        platform_db: Database) -> None:
    """Transfers in som, sum, dollars and euros: the shipped indicative table lacks the
    som and the sum, so without rates the mapping step names them and nothing can be
    imported; with the case's rates sent beside the file, the step shows the table, the
    preview converts, and the import uses it."""
    csrf = login(client, make_user("analyst")[0])
    page = client.post("/investigations/import", data={"csrf_token": csrf},
                       files=_with_rates(None), follow_redirects=False).headers["location"]
    shown = client.get(page).text
    assert "Exchange rates from the indicative table shipped with Tocsin" in shown
    assert "no exchange rate for KGS into EUR" in shown
    assert "no exchange rate for UZS into EUR" in shown
    refused = client.post(page, data={**KG_FORM, "csrf_token": csrf})
    assert refused.status_code == 422 and "no exchange rate for KGS into EUR" in refused.text
    client.post(page, data={"action": "cancel", "csrf_token": csrf})

    sent = client.post("/investigations/import", data={"csrf_token": csrf},
                       files=_with_rates(("march-rates.csv",
                                          (WIZARD / "rates_kg.csv").read_bytes())),
                       follow_redirects=False)
    assert sent.status_code == 303, sent.text
    page = sent.headers["location"]
    shown = client.get(page).text
    assert re.search(r'id="wizard-rates">Exchange rates from march-rates.csv, sent with the '
                     r'file: KGS, USD, UZS into EUR\.</p>', shown), shown
    assert "no exchange rate" not in shown
    assert "98,000,000.00" in shown  # the preview's rows
    # the preview converts into the base currency chosen: the table (in euros) serves the
    # dollar, which it lists; a base currency it cannot be rebased to is said before
    # anything is imported
    dollars = client.post(page, data={**KG_FORM, "action": "preview", "base_currency": "USD",
                                      "csrf_token": csrf})
    assert dollars.status_code == 200 and "98,000,000.00" in dollars.text
    assert "no exchange rate" not in dollars.text and "has no rate" not in dollars.text
    pounds = client.post(page, data={**KG_FORM, "base_currency": "GBP", "csrf_token": csrf})
    assert pounds.status_code == 422
    assert "the rate table (EUR) has no rate for base currency GBP" in pounds.text
    done = client.post(page, data={**KG_FORM, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303, done.text
    job_id = done.headers["location"].split("job=")[1].split("#")[0]
    job = wait_for_job(client, client.get(f"{API}/jobs/{job_id}").json())
    assert job["state"] == "done", job
    assert job["result"]["transactions"] == 4
    with platform_db.transaction() as session:
        record = session.get(TransactionSet, job["result"]["set"])
        assert record is not None and record.base_currency == "EUR"
        stored = sets.open_stored(settings, record)
    converted = {row["currency_orig"]: round(row["amount"], 2) for row in stored.transactions(
        ["currency_orig", "amount"]).to_pylist()}
    assert converted == {"KGS": 12875.0, "UZS": 7154.0, "USD": 11408.0, "EUR": 9900.0}
    # the rate table went with the upload: nothing is left behind
    assert not any((settings.data_dir / "uploads").iterdir())


def test_a_rate_table_that_does_not_read_is_refused_with_the_file_by_its_own_name(
        client: TestClient, make_user: MakeUser, settings: Settings) -> None:
    csrf = login(client, make_user("analyst")[0])
    refused = client.post("/investigations/import", data={"csrf_token": csrf},
                          files=_with_rates(("march-rates.csv", b"code,value\nKGS,x\n")))
    assert refused.status_code == 422
    assert "<code>march-rates.csv:1</code>: the header needs columns currency,rate" \
        in refused.text
    assert str(settings.data_dir) not in refused.text and "upload-" not in refused.text
    assert not any((settings.data_dir / "uploads").iterdir())  # neither file is kept
    negative = client.post("/investigations/import", data={"csrf_token": csrf},
                           files=_with_rates(("march-rates.csv", b"currency,rate\nKGS,-1\n")))
    assert negative.status_code == 422
    assert "<code>march-rates.csv:2</code>: rate &#39;-1&#39; must be positive" in negative.text


def _base_choices(page: str) -> list[str]:
    select = re.search(r'<select id="base_currency"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no base currency picker"
    return re.findall(r'<option value="([A-Z]{3})"', select.group(1))


def test_amounts_convert_into_any_currency_the_rate_table_lists(
        client: TestClient, make_user: MakeUser, settings: Settings,
        platform_db: Database) -> None:
    """An analyst of a participating State converts into the State's own currency: the
    picker offers every currency of the rate table in use (the shipped one holds the
    Canadian dollar), and a table of the case in som, without euros, converts into som
    from the first preview on and imports so."""
    csrf = login(client, make_user("analyst")[0])
    page = _upload(client, csrf, "transfers_us.csv", (WIZARD / "transfers_us.csv").read_bytes())
    shipped = _base_choices(client.get(page).text)
    assert {"EUR", "USD", "CAD", "JPY"} <= set(shipped) and "KGS" not in shipped
    assert re.search(r'<option value="EUR" selected>', client.get(page).text)
    client.post(page, data={"action": "cancel", "csrf_token": csrf})

    som = b"currency,rate\nKGS,1\nUZS,0.0069\nUSD,89.4\n"  # no euro in the table
    sent = client.post("/investigations/import", data={"csrf_token": csrf},
                       files=_with_rates(("som.csv", som)), follow_redirects=False)
    page = sent.headers["location"]
    shown = client.get(page).text
    assert _base_choices(shown) == ["KGS", "USD", "UZS"]
    assert re.search(r'<option value="KGS" selected>', shown)
    assert "has no rate for base currency" not in shown and "no exchange rate" in shown
    form = {k: v for k, v in KG_FORM.items() if k != "base_currency"}
    refused = client.post(page, data={**form, "csrf_token": csrf})  # the euros of row 5
    assert refused.status_code == 422 and "no exchange rate for EUR into KGS" in refused.text
    assert re.search(r'<option value="KGS" selected>', refused.text)
