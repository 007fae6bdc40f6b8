"""The suggested column mapping on files shaped as banks and units send them, and its preview.

Each file differs from the others in separator, encoding, decimal separator, date
layout and header language; one has headers that say nothing, so only the values
tell what its columns hold. Each suggestion is imported with the real importer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import ingest
from tocsin.money.ingest import suggest as suggest_module
from tocsin.money.ingest.mapping import load_mapping, parse_mapping
from tocsin.money.ingest.suggest import (
    SAMPLE_BYTES,
    fits,
    from_mapping,
    preview,
    sample,
    suggest,
)
from tocsin.money.rates import rates_from_mapping

RATES = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9, "GBP": 1.2, "CHF": 1.05}})

CASES = {
    # file: (delimiter, decimal, date layout, header row, encoding, fields, rows, first amount)
    "umsaetze_de.csv": (";", ",", "%d.%m.%Y", 4, "cp1252", {
        "transaction.date": "Buchungstag", "transaction.amount": "Betrag",
        "transaction.currency": "Währung", "source.account": "Zahler-IBAN",
        "source.party.name": "Zahler", "target.account": "Empfänger-IBAN",
        "target.party.name": "Empfänger"}, 5, 12500.0),
    "virements_fr.csv": (";", ",", "%d/%m/%Y", 1, "utf-8-sig", {
        "transaction.date": "Date opération", "transaction.amount": "Montant",
        "transaction.currency": "Devise", "transaction.id": "Référence",
        "source.account": "Compte émetteur", "source.party.name": "Donneur d'ordre",
        "target.account": "Compte bénéficiaire", "target.party.name": "Bénéficiaire"},
        5, 1234.56),
    "transfers_us.csv": (",", ".", "%m/%d/%Y", 1, "utf-8-sig", {
        "transaction.date": "Posted Date", "transaction.amount": "Amount",
        "transaction.currency": "Currency", "transaction.id": "Transaction ID",
        "transaction.channel": "Channel", "source.account": "Sender Account",
        "source.party.name": "Sender Name", "target.account": "Receiver Account",
        "target.party.name": "Receiver Name"}, 6, 150000.0),
    "export_no_header_words.tsv": ("\t", ".", "%Y-%m-%d %H:%M:%S", 1, "utf-8-sig", {
        "transaction.date": "F1", "transaction.amount": "F4", "transaction.currency": "F5",
        "source.account": "F2", "target.account": "F3"}, 4, 1500.0),
    "overboekingen_nl.csv": (",", ".", "%Y%m%d", 1, "utf-8-sig", {
        "transaction.date": "Datum", "transaction.amount": "Bedrag",
        "source.account": "Van rekening", "target.account": "Naar rekening"}, 3, 2500.0),
}


@pytest.fixture
def wizard(fixtures: Path) -> Path:
    return fixtures / "wizard"


@pytest.mark.parametrize("name", sorted(CASES))
def test_suggestion_fits_and_imports(name: str, wizard: Path, tmp_path: Path) -> None:
    delimiter, decimal, date_format, header_row, encoding, fields, count, first = CASES[name]
    found = suggest(wizard / name)
    assert (found.sample.delimiter, found.decimal, found.date_format) == (
        delimiter, decimal, date_format)
    assert (found.sample.header_row, found.sample.encoding) == (header_row, encoding)
    assert found.fields == fields
    assert found.missing() == []
    assert all(found.reasons[key].startswith("the values are") for key in fields
               if key != "transaction.id")
    if "transaction.id" in fields:
        assert found.reasons["transaction.id"] == "each row has a value of its own"
    # the YAML written for automation imports the whole file with the importer
    (tmp_path / "m.yaml").write_text(found.yaml(), encoding="utf-8")
    report = ingest("csv", [wizard / name], tmp_path / "set", mapping=tmp_path / "m.yaml",
                    rates=RATES)
    assert report.transactions == count
    rows = open_set(tmp_path / "set").transactions().to_pylist()
    assert rows[0]["amount_orig"] == pytest.approx(first)
    # the preview shows the same rows the import stored
    shown = preview(wizard / name, found.mapping(), rows=3, rates=RATES)
    assert shown.problems == [] and shown.checked == count
    assert [r["txn_id"] for r in shown.rows] == [r["txn_id"] for r in rows[:3]]
    assert [r["amount_orig"] for r in shown.rows] == [r["amount_orig"] for r in rows[:3]]


def test_values_decide_the_dates_and_amounts(wizard: Path) -> None:
    # 01/15/2024: only month first fits; "1 234,56": a comma decimal with space thousands
    us = suggest(wizard / "transfers_us.csv")
    assert us.column("Posted Date").kind == "date"  # type: ignore[union-attr]
    fr = preview(wizard / "virements_fr.csv", suggest(wizard / "virements_fr.csv").mapping())
    assert fr.rows[0]["ts"] == datetime(2024, 2, 5, tzinfo=UTC)
    assert fr.rows[1]["amount_orig"] == 48000.0
    de = preview(wizard / "umsaetze_de.csv", suggest(wizard / "umsaetze_de.csv").mapping())
    assert de.rows[0]["source_name"] == "Alder Logistics GmbH"
    assert de.rows[0]["source_line"] == 5  # after the two lines before the table and a blank


def test_no_currency_column_takes_the_currency_given(wizard: Path) -> None:
    found = suggest(wizard / "overboekingen_nl.csv", currency="chf")
    assert "transaction.currency" not in found.fields and found.currency == "CHF"
    assert found.raw()["transaction"]["currency"] == {"value": "CHF"}
    # the free-text purpose column is never taken for a party's name
    assert "Omschrijving" not in found.fields.values()


def _italian_workbook(path: Path) -> Path:
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Copertina"
    cover["A1"] = "Estratto bonifici — fascicolo 44/2024"
    sheet = book.create_sheet("Movimenti")
    sheet.append(["Data valuta", "Ordinante", "IBAN ordinante", "Beneficiario",
                  "IBAN beneficiario", "Importo", "Divisa", "Causale"])
    sheet.append([datetime(2024, 6, 3, 9, 0), "Marco Ferri", "IT60X0542811101000000123456",
                  "Ondine SRL", "IT55Y0300203280000400162854", 25000.0, "EUR", "Fattura 12"])
    sheet.append([datetime(2024, 6, 4, 15, 30), "Ondine SRL", "IT55Y0300203280000400162854",
                  "Brume Conseil SARL", "FR7630006000011234567890189", 24500.5, "EUR",
                  "Consulenza"])
    sheet.append([datetime(2024, 6, 7, 11, 0), "Brume Conseil SARL",
                  "FR7630006000011234567890189", "Marco Ferri",
                  "IT60X0542811101000000123456", 9000, "CHF", "Rimborso"])
    book.save(path)
    return path


def test_excel_file_with_a_cover_sheet(tmp_path: Path) -> None:
    path = _italian_workbook(tmp_path / "bonifici.xlsx")
    found = suggest(path)
    assert (found.sample.format, found.sample.sheet, found.sample.header_row) == (
        "xlsx", "Movimenti", 1)
    assert found.fields == {
        "transaction.date": "Data valuta", "transaction.amount": "Importo",
        "transaction.currency": "Divisa", "source.account": "IBAN ordinante",
        "source.party.name": "Ordinante", "target.account": "IBAN beneficiario",
        "target.party.name": "Beneficiario"}
    (tmp_path / "m.yaml").write_text(found.yaml(), encoding="utf-8")
    report = ingest("xlsx", [path], tmp_path / "set", mapping=tmp_path / "m.yaml", rates=RATES)
    assert report.transactions == 3
    rows = open_set(tmp_path / "set").transactions().to_pylist()
    assert rows[1]["ts"] == datetime(2024, 6, 4, 15, 30, tzinfo=UTC)
    assert rows[2]["amount"] == pytest.approx(9000 * 1.05)


def test_corrections_and_their_errors(wizard: Path) -> None:
    found = suggest(wizard / "transfers_us.csv")
    fixed = found.choose({**found.fields, "transaction.channel": "",
                          "transaction.id": "Transaction ID"}, date_format="%m/%d/%Y")
    assert "transaction.channel" not in fixed.fields
    with pytest.raises(InputError) as caught:
        found.choose({"transaction.date": "Booking day"}, currency="EURO",
                     date_format="%Q", decimal=":")
    where = [p.location for p in caught.value.problems]
    assert where == ["Date", "Date layout", "Decimal separator", "Currency"]
    assert "no column 'Booking day'" in caught.value.problems[0].reason
    incomplete = found.choose({"transaction.date": "Posted Date"})
    with pytest.raises(InputError) as missing:
        incomplete.mapping()
    assert [p.location for p in missing.value.problems] == [
        "Amount", "Currency", "Payer's account", "Payee's account", "Date layout"]


def test_preview_names_rows_and_fields_as_people_know_them(fixtures: Path) -> None:
    bad = fixtures / "tabular" / "bank_export_bad.csv"
    found = suggest(bad)
    fixed = found.choose({"transaction.date": "Buchungstag", "transaction.amount": "Betrag",
                          "transaction.currency": "Währung",
                          "source.account": "Auftraggeber IBAN",
                          "target.account": "Empfänger IBAN"}, date_format="%d.%m.%Y",
                         decimal=",")
    shown = preview(bad, fixed.mapping(), name="from the bank.csv")
    said = [f"{p.location}: {p.reason}" for p in shown.problems]
    assert "from the bank.csv:2: Date: '31.02.2024' does not match day.month.year " \
        "(31.12.2024)" in said
    assert "from the bank.csv:3: Amount: 'zehn' is not a number" in said
    assert any(s.startswith("from the bank.csv:4: Currency: 'EURO'") for s in said)
    assert len(said) == len(set(said))  # each problem once
    assert not any(str(bad) in s or "transaction." in s for s in said)


def test_saved_mapping_round_trip(wizard: Path, tmp_path: Path) -> None:
    found = suggest(wizard / "virements_fr.csv")
    (tmp_path / "m.yaml").write_text(found.yaml(), encoding="utf-8")
    again = from_mapping(found.sample, load_mapping(tmp_path / "m.yaml"), "Banque Ondine")
    assert (again.fields, again.date_format, again.decimal) == (
        found.fields, found.date_format, found.decimal)
    assert again.saved_as == "Banque Ondine"
    other = sample(wizard / "transfers_us.csv")
    assert not fits(other, found.mapping())
    with pytest.raises(InputError, match="no column"):
        from_mapping(other, found.mapping(), "Banque Ondine")


SAVED_WITH_MORE_THAN_THE_FORM: dict[str, Any] = {
    "transaction": {
        "date": {"column": "Date", "format": "%Y-%m-%d", "time": "Time"},
        "amount": "Amount",
        "currency": {"column": "Payment_currency",
                     "map": {"UK pounds": "GBP", "Indian rupee": "INR", "Albanian lek": "ALL",
                             "Dirham": "MAD"}},
        "channel": "Payment_type",
        "label": "Is_laundering",
        "pattern": "Laundering_type",
    },
    "source": {"account": "Sender_account",
               "country": {"column": "Sender_bank_location",
                           "map": {"UK": "GB", "Albania": "AL", "Nigeria": "NG"},
                           "default": "GB"}},
    "target": {"account": "Receiver_account"},
    "filters": [{"column": "Payment_type", "not_equals": ["Cash Deposit"]}],
}


def test_a_saved_mapping_keeps_what_the_form_does_not_show(tmp_path: Path) -> None:
    # a saved mapping chosen in the web form lost its labels, filters and maps of values
    # when the form was sent: the import read every row, unlabelled, bank places refused
    path = Path(__file__).parents[2] / "fixtures" / "money" / "fraud_benchmark" / "SAML-D.csv"
    smp = sample(path)
    saved = from_mapping(smp, parse_mapping(SAVED_WITH_MORE_THAN_THE_FORM), "SAML-D")
    sent = saved.choose(saved.fields, date_format=saved.date_format, decimal=saved.decimal)
    raw = sent.raw()
    assert (raw["transaction"]["label"], raw["transaction"]["pattern"], raw["filters"]) == (
        "Is_laundering", "Laundering_type",
        [{"column": "Payment_type", "not_equals": ["Cash Deposit"]}])
    assert raw["transaction"]["currency"]["map"]["Dirham"] == "MAD"
    saved_country = SAVED_WITH_MORE_THAN_THE_FORM["source"]["country"]
    assert raw["source"]["country"]["default"] == "GB"  # the saved map wins over the names
    assert raw["source"]["country"]["map"] == {**raw["source"]["country"]["map"],
                                               **saved_country["map"]}
    assert [str(m) for m in sent.kept()] == [
        "the rows it leaves out (filters)", "Currency: the values it maps",
        "Payer's country: the values it maps"]
    (tmp_path / "m.yaml").write_text(sent.yaml(), encoding="utf-8")
    report = ingest("csv", [path], tmp_path / "set", mapping=tmp_path / "m.yaml")
    assert report.has_labels
    assert report.transactions == 3  # the cash deposit left out by the saved filter
    # another column chosen for the currency: the saved map was for the old one
    moved = saved.choose({**saved.fields, "transaction.currency": "Received_currency"},
                         date_format=saved.date_format)
    assert moved.raw()["transaction"]["currency"]["map"]["Dirham"] == "AED"
    assert "Currency: the values it maps" not in [str(m) for m in moved.kept()]
    # a field taken out in the form stays out, whatever the saved mapping had
    assert "country" not in saved.choose(
        {k: v for k, v in saved.fields.items() if k != "source.country"},
        date_format=saved.date_format).raw()["source"]


def test_files_that_are_not_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        sample(empty)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="not a text"):
        sample(binary)
    single = tmp_path / "one.csv"
    single.write_text("just one column\nvalue\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot find columns"):
        sample(single)


def test_cli_prints_the_suggestion_and_writes_the_yaml(wizard: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.money import app

    runner = CliRunner()
    out = tmp_path / "de.yaml"
    result = runner.invoke(app, ["suggest", str(wizard / "umsaetze_de.csv"), "--write",
                                 str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "semicolon separated, cp1252, header on row 4" in result.output
    assert "Zahler-IBAN" in result.output and "Alder Logistics GmbH" in result.output
    mapping = load_mapping(out)
    assert (mapping.delimiter, mapping.decimal, mapping.header_row) == (";", ",", 4)
    again = runner.invoke(app, ["suggest", str(wizard / "umsaetze_de.csv"), "--write",
                                str(out)])
    assert again.exit_code == 1 and "exists already" in again.output
    bad = runner.invoke(app, ["suggest", str(wizard.parent / "tabular" /
                                             "bank_export_bad.csv")], env={"COLUMNS": "200"})
    assert bad.exit_code == 1 and "Missing: Payee's account" in bad.output


# -- statements of one account as banks export them ------------------------------------------


def _import_suggested(raw: dict, path: Path, tmp_path: Path) -> list[dict]:
    import yaml

    (tmp_path / "m.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    ingest("csv", [path], tmp_path / "set", mapping=tmp_path / "m.yaml", rates=RATES)
    return open_set(tmp_path / "set").transactions().to_pylist()


def test_a_debit_credit_mark_beside_unsigned_amounts(fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "tabular" / "banks" / "ing_af_bij.csv"
    found = suggest(path)
    assert found.fields["transaction.amount.sign"] == "Af Bij"
    assert found.raw()["transaction"]["amount"]["sign"] == {"column": "Af Bij",
                                                            "negative": ["Af"]}
    assert found.reasons["transaction.amount.sign"] == "the values are debit and credit marks"
    # the account that never changes is the statement's own: it receives the credits
    own = "NL12INGB0001234567"
    assert (found.fields["target.account"], found.fields["source.account"]) == (
        "Rekening", "Tegenrekening")
    assert found.missing() == []
    rows = _import_suggested(found.raw(), path, tmp_path)
    assert [(r["source"] == own, r["amount_orig"]) for r in rows] == [
        (True, 25.0), (False, 5000.0), (True, 1250.5)]


@pytest.mark.parametrize(("name", "credit", "debit", "own", "amounts"), [
    ("sparkasse_soll_haben", "Haben", "Soll", "DE44500105175407324931",
     [(True, 1099.95), (False, 12250.0), (True, 4.8)]),
    ("releve_fr", "Crédit euros", "Débit euros", "FR7630006000011234567890189",
     [(False, 3250.0), (True, 84.17), (True, 1234.56)]),
])
def test_debits_and_credits_in_two_columns(fixtures: Path, tmp_path: Path, name: str,
                                           credit: str, debit: str, own: str,
                                           amounts: list[tuple[bool, float]]) -> None:
    path = fixtures / "tabular" / "banks" / f"{name}.csv"
    found = suggest(path)
    assert (found.fields["transaction.amount"], found.fields["transaction.amount.debit"]) == (
        credit, debit)
    assert found.decimal == ","
    # the lines below the data (Endsaldo, Anzahl Umsätze) are suggested; the statement's
    # own account is above the header: the person gives it
    raw = found.raw()
    assert raw.get("footer_rows") == (2 if name.startswith("sparkasse") else None)
    raw["target"] = {"account": {"value": own}}
    raw["source"] = raw["source"] or {"party": {"name": "Libellé"}}
    rows = _import_suggested(raw, path, tmp_path)
    assert [(r["source"] == own, r["amount_orig"]) for r in rows] == amounts


def test_amounts_with_dollar_signs_and_parentheses(fixtures: Path) -> None:
    found = suggest(fixtures / "tabular" / "banks" / "us_checking.csv")
    assert (found.fields["transaction.amount"], found.decimal) == ("Amount", ".")
    amount = found.column("Amount")
    assert amount is not None and (amount.kind, amount.negative) == ("amount", True)


def test_a_mark_column_of_other_values_is_not_taken(fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "marks.csv"
    path.write_bytes((fixtures / "tabular" / "banks" / "ing_af_bij.csv").read_bytes()
                     .replace(b'"Af"', b'"Out"').replace(b'"Bij"', b'"In"'))
    found = suggest(path)
    assert "transaction.amount.sign" not in found.fields
    chosen = found.choose({**found.fields, "transaction.amount.sign": "Af Bij"}, currency="EUR")
    assert [str(p.reason) for p in chosen.missing()] == [
        "its values are not debit and credit marks (e.g. Af/Bij, S/H, D/C)"]


def test_a_mark_column_whose_sample_holds_only_credits(fixtures: Path, tmp_path: Path) -> None:
    # the first debit comes after the rows the suggestion reads: it must still be a debit
    lines = (fixtures / "tabular" / "banks" / "ing_af_bij.csv").read_text(
        encoding="utf-8").splitlines()
    credit, debit = lines[2], lines[3]
    path = tmp_path / "ing.csv"
    credits = [credit.replace("20260125", f"202601{d:02d}").replace("0123456789",
                                                                     f"01234567{d:02d}")
               for d in range(1, 29)]
    path.write_text("\n".join([lines[0], *credits * 8, debit]) + "\n", encoding="utf-8")
    found = suggest(path)
    assert found.raw()["transaction"]["amount"]["sign"] == {"column": "Af Bij",
                                                            "negative": ["Af"]}
    rows = _import_suggested(found.raw(), path, tmp_path)
    assert len(rows) == 225
    assert (rows[-1]["source"], rows[-1]["target"], rows[-1]["amount_orig"]) == (
        "NL12INGB0001234567", "NL56ABNA0417164300", 1250.5)


def test_a_saved_mapping_keeps_its_marks(fixtures: Path) -> None:
    folder = fixtures / "tabular" / "banks"
    mapping = load_mapping(folder / "ing_af_bij.yaml")
    mapping.transaction.amount.sign.negative = ["Af", "AF"]  # type: ignore[union-attr]
    again = from_mapping(sample(folder / "ing_af_bij.csv"), mapping, "ing")
    assert again.raw()["transaction"]["amount"]["sign"] == {"column": "Af Bij",
                                                            "negative": ["Af", "AF"]}
    assert again.choose(again.fields, currency="EUR").raw()["transaction"]["amount"][
        "sign"]["negative"] == ["Af", "AF"]


def test_suggestions_for_exports_published_by_others(fixtures: Path) -> None:
    folder = fixtures / "tabular" / "published"
    volksbank = suggest(folder / "volksbank-Umsaetze_DE12345678901234567890_2023.10.04.csv")
    # the statement's own account receives positive amounts; a BIC column is a bank,
    # never an account; a creditor ID some rows lack is no transaction reference
    assert (volksbank.fields["target.account"], volksbank.fields["source.account"]) == (
        "IBAN Auftragskonto", "IBAN Zahlungsbeteiligter")
    assert volksbank.fields["target.bank"] == "BIC Auftragskonto"
    assert "transaction.id" not in volksbank.fields
    dkb = suggest(folder / "dkb.csv")
    assert (dkb.sample.header_row, dkb.date_format, dkb.decimal) == (5, "%d.%m.%y", ",")
    assert (dkb.fields["source.party.name"], dkb.fields["target.party.name"]) == (
        "Zahlungspflichtige*r", "Zahlungsempfänger*in")
    comdirect = suggest(folder / "comdirect-umsaetze_1234567890_20231006_1804.csv")
    assert (comdirect.sample.header_row, comdirect.fields["transaction.amount"]) == (
        4, "Umsatz in EUR")


def test_a_saved_mapping_keeps_negative_abs(fixtures: Path) -> None:
    folder = fixtures / "tabular" / "published"
    saved = from_mapping(sample(folder / "dkb.csv"), load_mapping(folder / "dkb.yaml"), "dkb")
    assert saved.raw()["transaction"]["amount"]["negative"] == "abs"
    assert saved.choose(saved.fields, currency="EUR").raw()["transaction"]["amount"][
        "negative"] == "abs"
    assert saved.choose(saved.fields, currency="EUR", negative_swaps=True).raw()[
        "transaction"]["amount"]["negative"] == "swap"


def test_a_card_export_with_debit_and_credit_columns(fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "tabular" / "banks" / "card_debit_credit_us.csv"
    found = suggest(path, currency="USD")
    assert (found.fields["transaction.amount"], found.fields["transaction.amount.debit"],
            found.decimal, found.date_format) == ("Credit", "Debit", ".", "%Y-%m-%d")
    raw = found.raw()
    raw["source"] = {"party": {"name": "Description"}}
    raw["target"] = {"account": {"value": "card-4821"}}
    rows = _import_suggested(raw, path, tmp_path)
    assert [(r["target"] == "card-4821", r["amount_orig"]) for r in rows] == [
        (False, 84.17), (True, 1250.0), (False, 1034.56)]


# -- lines below the data (footer_rows) ------------------------------------------------------


def test_two_summary_lines_below_the_data_are_suggested_as_footer_rows(
        fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "tabular" / "banks" / "statement_closing_balance.csv"
    found = suggest(path, currency="GBP")
    assert found.footer_rows == 2 and found.raw()["footer_rows"] == 2
    assert found.sample.footer == ["Closing balance,,,,5395.20,GBP", "Total transactions: 4"]
    # the closing balance is not taken for a row of the data
    assert [row[0] for row in found.sample.rows] == [
        "02/05/2026", "13/05/2026", "15/05/2026", "28/05/2026"]
    assert preview(path, found.mapping()).problems == []
    (tmp_path / "m.yaml").write_text(found.yaml(), encoding="utf-8")
    report = ingest("csv", [path], tmp_path / "set", mapping=tmp_path / "m.yaml", rates=RATES)
    assert report.transactions == 4
    assert "statement_closing_balance.csv: lines 6, 7 after the data not read (footer_rows)" \
        in report.notes


@pytest.mark.parametrize("name", [
    "statement_no_footer",  # the data up to the last line
    "statement_last_row_multiline",  # the last row's description over two lines, no newline
])
def test_nothing_is_suggested_below_data_that_goes_to_the_end(fixtures: Path, tmp_path: Path,
                                                              name: str) -> None:
    path = fixtures / "tabular" / "banks" / f"{name}.csv"
    found = suggest(path, currency="GBP")
    assert (found.footer_rows, found.sample.footer) == (0, [])
    assert "footer_rows" not in found.raw()
    rows = _import_suggested(found.raw(), path, tmp_path)
    assert [r["amount_orig"] for r in rows] == [1250.0, 3200.0, 4.8, 950.0]


def test_a_last_row_cut_short_is_not_taken_for_a_footer(fixtures: Path) -> None:
    # "01.03.2024;GEBUCHT;R-6" still holds a date where the dates are: the import refuses it
    assert suggest(fixtures / "tabular" / "bank_export_bad.csv").footer_rows == 0


def test_dated_payments_without_an_amount_at_the_end_are_rows(fixtures: Path,
                                                               tmp_path: Path) -> None:
    # a file larger than the sample ending in two payments whose amount is missing: rows
    # the import refuses by line, not lines below the data
    lines = (fixtures / "tabular" / "banks" / "statement_closing_balance.csv").read_text(
        encoding="utf-8").splitlines()
    unpaid = [",".join(v if i != 4 else "" for i, v in enumerate(row.split(",")))
              for row in lines[1:3]]
    path = tmp_path / "unpaid.csv"
    path.write_text("\n".join([lines[0], *lines[1:5] * 2000, *unpaid]) + "\n",
                    encoding="utf-8")
    assert suggest(path, currency="GBP").footer_rows == 0


def test_lines_below_a_file_larger_than_the_sample_are_found(fixtures: Path,
                                                             tmp_path: Path) -> None:
    lines = (fixtures / "tabular" / "banks" / "statement_closing_balance.csv").read_text(
        encoding="utf-8").splitlines()
    path = tmp_path / "big.csv"
    path.write_text("\n".join([lines[0], *lines[1:5] * 2000, *lines[5:]]) + "\n",
                    encoding="utf-8")
    assert path.stat().st_size > SAMPLE_BYTES
    found = suggest(path, currency="GBP")
    assert (found.footer_rows, len(found.sample.rows)) == (2, 200)


def test_only_the_end_of_the_file_is_read_for_the_footer(fixtures: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # a footer longer than the bytes read at the end has no row of the data above it
    # within them: nothing is suggested rather than a guess
    path = fixtures / "tabular" / "banks" / "statement_closing_balance.csv"
    monkeypatch.setattr(suggest_module, "TAIL_BYTES", 80)
    assert suggest(path, currency="GBP").footer_rows == 0
    monkeypatch.setattr(suggest_module, "TAIL_BYTES", 160)
    assert suggest(path, currency="GBP").footer_rows == 2


def test_a_saved_mapping_keeps_its_footer_rows(fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "tabular" / "banks" / "statement_closing_balance.csv"
    found = suggest(path, currency="GBP")
    raw = found.raw()
    raw["footer_rows"] = 3
    saved = from_mapping(found.sample, parse_mapping(raw), "Harbour Bank")
    assert saved.footer_rows == 3
    del raw["footer_rows"]  # saved before footer_rows were suggested: the file's are
    assert from_mapping(found.sample, parse_mapping(raw), "Harbour Bank").footer_rows == 2


def test_cli_names_the_lines_below_the_data(fixtures: Path) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.money import app

    result = CliRunner().invoke(app, ["suggest", str(fixtures / "tabular" / "banks" /
                                                     "statement_closing_balance.csv"),
                                      "--currency", "GBP"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "The last 2 lines of the file do not fit its columns (totals or a balance): they " \
        "are not read (footer_rows)." in result.output
    assert "'Closing balance,,,,5395.20,GBP'" in result.output
