from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tocsin import i18n
from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import IngestReport, detect_format, ingest
from tocsin.money.ingest.mapping import load_mapping, parse_mapping
from tocsin.money.rates import rates_from_mapping

RATES = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9, "GBP": 1.2}})


def test_bank_export_with_filters_swaps_and_parties(fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "tabular"
    report = ingest("csv", [folder / "bank_export.csv"], tmp_path / "s",
                    mapping=folder / "bank_export.yaml", rates=RATES)
    assert report.transactions == 3  # the VORGEMERKT row is filtered out, and said so
    assert "bank_export.csv: 1 row left out by the filters (line 4)" in [
        str(n) for n in report.notes]
    stored = open_set(tmp_path / "s")
    txns = {t["txn_id"]: t for t in stored.transactions().to_pylist()}
    assert set(txns) == {"R-1001", "R-1002", "R-1004"}
    first = txns["R-1001"]
    assert first["ts"] == datetime(2024, 1, 2, tzinfo=UTC)
    assert (first["amount_orig"], first["currency_orig"], first["channel"]) == (12500.0, "EUR",
                                                                                "SEPA")
    assert first["source_ref"] == "bank_export.csv:2"
    assert [txns[r]["source_line"] for r in ("R-1001", "R-1002", "R-1004")] == [2, 3, 5]
    assert first["source_file"] == "bank_export.csv"
    refund = txns["R-1002"]  # -2.000,50: money flowed from the payee to the payer
    assert (refund["source"], refund["target"], refund["amount_orig"]) == (
        "DE8350010517000000012345", "DE9837040044053201300000", 2000.5)
    cash = txns["R-1004"]
    assert cash["source"].startswith("party:")  # no IBAN: the person is the end point
    assert cash["amount"] == pytest.approx(9900 * 0.9)
    accounts = {a["account_id"]: a for a in stored.accounts().to_pylist()}
    assert accounts["DE9837040044053201300000"]["kind"] == "domestic"
    assert accounts["DE9837040044053201300000"]["country"] == "DE"
    parties = {p["party_id"]: p for p in stored.parties().to_pylist()}
    holder = parties[accounts["DE9837040044053201300000"]["party_id"]]
    assert (holder["schema"], holder["name"]) == ("Company", "Alder Logistics GmbH")
    assert parties[cash["source"][6:]]["schema"] == "Person"


def test_excel_ledger_with_labels(fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "tabular"
    report = ingest("xlsx", [folder / "ledger.xlsx"], tmp_path / "s",
                    mapping=folder / "ledger.yaml", rates=RATES)
    assert (report.transactions, report.has_labels) == (3, True)
    rows = open_set(tmp_path / "s").transactions().to_pylist()
    assert [r["label"] for r in rows] == [True, False, False]
    assert rows[0]["source_ref"] == "ledger.xlsx:Transfers!2"
    assert (rows[0]["source_file"], rows[0]["source_line"]) == ("ledger.xlsx", 2)
    assert rows[0]["ts"] == datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
    assert rows[2]["ts"] == datetime(2024, 5, 4, tzinfo=UTC)  # an ISO text date
    assert rows[2]["amount"] == pytest.approx(70000 * 1.2)


def test_every_bad_row_is_reported(fixtures: Path, tmp_path: Path, leftovers) -> None:
    folder = fixtures / "tabular"
    with pytest.raises(InputError) as caught:
        ingest("csv", [folder / "bank_export_bad.csv"], tmp_path / "s",
               mapping=folder / "bank_export.yaml", rates=RATES)
    found = [(p.location.rsplit(":", 1)[-1], p.reason.split(":")[0])
             for p in caught.value.problems]
    assert found == [("2", "transaction.date"), ("3", "transaction.amount"),
                     ("4", "transaction.currency"), ("4", "source.country"),
                     ("5", "source.party.schema"), ("6", "source"),
                     ("7", "expected 12 fields, found 3")]
    assert leftovers(tmp_path) == []


def test_mapping_errors_name_the_yaml_key(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("transaction:\n  date: {format: '%d'}\n  amount: Betrag\n"
                    "source: {account: A}\ntarget: {account: B}\ncolour: red\n")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    keys = {p.location: p.reason for p in caught.value.problems}
    assert "exactly one of 'column' or 'value'" in keys[f"{path}: transaction.date"]
    assert keys[f"{path}: transaction.currency"] == "a value is required here"
    assert "not a field of this file" in keys[f"{path}: colour"]
    # the platform's words and Pydantic's usual ones in the reader's language; the
    # locations as the file spells them
    with i18n.using("fr"):
        french = {p.location: str(p.reason) for p in caught.value.problems}
    assert french[f"{path}: transaction.currency"] == "une valeur est requise ici"
    assert "pas un champ de ce fichier" in french[f"{path}: colour"]
    assert "exactement une des clés 'column' ou 'value'" in french[f"{path}: transaction.date"]
    with i18n.using("ru"):
        assert str(caught.value.problems[0].reason).isascii() is False


def test_pydantic_errors_of_a_mapping_by_type_with_their_values(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("transaction: {amount: Betrag, date: {column: D}, currency: {value: EUR}}\n"
                    "source: {account: A, kind: {value: 3}}\ntarget: {account: B}\n"
                    "header_row: 0\ndelimiter: ';;'\n")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    with i18n.using("ru"):
        said = {p.location.removeprefix(f"{path}: "): str(p.reason)
                for p in caught.value.problems}
    assert said["header_row"] == "должно быть не меньше 1"
    assert said["delimiter"] == "должно содержать не больше 1 символа"
    assert any(reason == "должно быть текстом" for reason in said.values()), said


def test_mapping_with_a_column_missing_from_the_file(fixtures: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text((fixtures / "tabular" / "bank_export.yaml").read_text()
                       .replace("channel: Art", "channel: Kanal"))
    with pytest.raises(InputError) as caught:
        ingest("csv", [fixtures / "tabular" / "bank_export.csv"], tmp_path / "s",
               mapping=mapping, rates=RATES)
    problem = caught.value.problems[0]
    assert problem.location == f"{mapping}: transaction.channel"
    assert "column 'Kanal' is not in the header" in problem.reason


@pytest.mark.parametrize(("line", "key", "reason"), [
    ('delimiter: b;"', "delimiter", "at most 1 character"),
    ("delimiter: ''", "delimiter", "at least 1 character"),
    ("encoding: klingon", "encoding", "unknown encoding 'klingon'"),
    ("encoding: rot13", "encoding", "'rot13' is not a text encoding"),
    ("header_row: 0", "header_row", "should be at least 1"),
    ("header_row: 1000000000000", "header_row", "should be at most 1048576"),
])
def test_the_layout_of_the_file_is_checked_with_the_mapping(
        fixtures: Path, tmp_path: Path, line: str, key: str, reason: str) -> None:
    # found by fuzzing: a separator of three characters reached the CSV reader (TypeError)
    mapping = tmp_path / "m.yaml"
    mapping.write_text((fixtures / "tabular" / "bank_export.yaml").read_text(encoding="utf-8")
                       .replace('delimiter: ";"', line), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [fixtures / "tabular" / "bank_export.csv"], tmp_path / "s",
               mapping=mapping, rates=RATES)
    problem = caught.value.problems[0]
    assert problem.location == f"{mapping}: {key}"
    assert reason in problem.reason
    assert not (tmp_path / "s").exists()


def test_a_header_row_past_the_end_of_the_file_is_a_missing_header(
        fixtures: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text((fixtures / "tabular" / "bank_export.yaml").read_text(encoding="utf-8")
                       + "header_row: 1048576\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not in the header"):
        ingest("csv", [fixtures / "tabular" / "bank_export.csv"], tmp_path / "s",
               mapping=mapping, rates=RATES)


def test_party_schema_must_be_a_party() -> None:
    with pytest.raises(InputError, match=r"source\.party\.schema"):
        parse_mapping({"transaction": {"date": "D", "amount": "A", "currency": {"value": "EUR"}},
                       "source": {"party": {"name": "N", "schema": {"value": "Vessel"}}},
                       "target": {"account": "B"}})


def test_csv_without_mapping_is_refused(fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs a column mapping"):
        ingest("csv", [fixtures / "tabular" / "bank_export.csv"], tmp_path / "s")


def test_detects_tables(fixtures: Path) -> None:
    assert detect_format(fixtures / "tabular" / "bank_export.csv") == "csv"
    assert detect_format(fixtures / "tabular" / "ledger.xlsx") == "csv"


@pytest.mark.parametrize("loader", ["libyaml", "python"])
def test_a_mapping_nested_too_deeply_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loader: str) -> None:
    # found by fuzzing: the Python YAML loader ran out of stack (RecursionError)
    import yaml

    from tocsin.money.ingest import mapping as module

    if loader == "python":
        monkeypatch.setattr(module, "_LOADER", yaml.SafeLoader)
    else:
        assert module._LOADER is yaml.CSafeLoader  # the fast path is the one shipped
    path = tmp_path / "m.yaml"
    path.write_text("[" * 2000)
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    problem = caught.value.problems[0]
    assert problem.location == str(path)
    assert problem.reason.startswith("not valid YAML: ")
    assert "nest" in problem.reason


def test_a_date_format_with_a_directive_twice_is_refused_at_its_key(
        fixtures: Path, tmp_path: Path) -> None:
    # found by fuzzing: "%d.%m.%m" made strptime's own pattern invalid (re.error at a row)
    mapping = tmp_path / "m.yaml"
    mapping.write_text((fixtures / "tabular" / "bank_export.yaml").read_text(encoding="utf-8")
                       .replace('"%d.%m.%Y"', '"%d.%m.%m"'), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [fixtures / "tabular" / "bank_export.csv"], tmp_path / "s",
               mapping=mapping, rates=RATES)
    problem = caught.value.problems[0]
    assert problem.location == f"{mapping}: transaction.date.format"
    assert "a directive is given twice" in problem.reason
    assert not (tmp_path / "s").exists()


# -- exports as banks write them ----------------------------------------------------------


def _bank(fixtures: Path, tmp_path: Path, name: str) -> tuple[IngestReport, list[dict[str, Any]]]:
    folder = fixtures / "tabular" / "banks"
    report = ingest("csv", [folder / f"{name}.csv"], tmp_path / "s",
                    mapping=folder / f"{name}.yaml", rates=RATES)
    return report, open_set(tmp_path / "s").transactions().to_pylist()


def test_debit_and_credit_columns_preamble_and_totals(fixtures: Path, tmp_path: Path) -> None:
    report, rows = _bank(fixtures, tmp_path, "sparkasse_soll_haben")
    own = "DE44500105175407324931"
    assert [(r["source_line"], r["ts"].day, r["amount_orig"]) for r in rows] == [
        (6, 2, 1099.95), (7, 3, 12250.0), (9, 5, 4.8)]
    assert (rows[0]["source"], rows[0]["target"]) == (own, "DE89370400440532013000")  # Soll
    assert (rows[1]["source"], rows[1]["target"]) == ("DE75512108001245126199", own)  # Haben
    assert rows[2]["source"] == own and rows[2]["target"].startswith("party:")  # "-4,80" Soll
    notes = [str(n) for n in report.notes]
    assert "sparkasse_soll_haben.csv: lines 1 to 4 before the header not read (header_row)" \
        in notes
    assert "sparkasse_soll_haben.csv: columns not read: Valuta, Verwendungszweck" in notes
    assert "sparkasse_soll_haben.csv: lines 10, 11 after the data not read (footer_rows)" \
        in notes


def test_a_sign_column_af_bij(fixtures: Path, tmp_path: Path) -> None:
    _, rows = _bank(fixtures, tmp_path, "ing_af_bij")
    own = "NL12INGB0001234567"
    assert [(r["ts"], r["amount_orig"], r["channel"]) for r in rows] == [
        (datetime(2026, 1, 15, tzinfo=UTC), 25.0, "Betaalautomaat"),
        (datetime(2026, 1, 25, tzinfo=UTC), 5000.0, "Overschrijving"),
        (datetime(2026, 2, 1, tzinfo=UTC), 1250.5, "Overschrijving")]
    assert rows[0]["source"] == own and rows[0]["target"].startswith("party:")  # Af: out
    assert (rows[1]["source"], rows[1]["target"]) == ("NL34RABO0123456789", own)  # Bij: in
    assert (rows[2]["source"], rows[2]["target"]) == (own, "NL56ABNA0417164300")


def test_dollar_signs_minus_and_parentheses(fixtures: Path, tmp_path: Path) -> None:
    _, rows = _bank(fixtures, tmp_path, "us_checking")
    own = "US-CHK-000123"
    assert [(r["ts"].month, r["ts"].day, r["amount_orig"]) for r in rows] == [
        (1, 2, 2500.0), (1, 5, 1200.0), (1, 9, 750.25)]
    assert [r["target"] == own for r in rows] == [True, False, False]
    assert rows[0]["currency_orig"] == "USD"


def test_latin1_multiline_labels_and_spaced_thousands(fixtures: Path, tmp_path: Path) -> None:
    report, rows = _bank(fixtures, tmp_path, "releve_fr")
    own = "FR7630006000011234567890189"
    assert [(r["source_line"], r["ts"].day, r["amount_orig"]) for r in rows] == [
        (5, 2, 3250.0), (8, 5, 84.17), (10, 9, 1234.56)]
    assert rows[0]["target"] == own and rows[1]["source"] == own
    stored = open_set(tmp_path / "s")
    names = {p["name"] for p in stored.parties().to_pylist()}
    assert "VIREMENT EN VOTRE FAVEUR SARL BRUME CONSEIL FACTURE 2026-014" in names
    assert "releve_fr.csv: lines 1 to 3 before the header not read (header_row)" in [
        str(n) for n in report.notes]


@pytest.mark.parametrize(("written", "expected"), [
    ("1.234,56-", -1234.56),  # a trailing minus (SAP, some German banks)
    ("-1.234,56", -1234.56),
    ("1.234,56 EUR", 1234.56),
    ("EUR 1.234,56", 1234.56),
    ("1.234,56 €", 1234.56),
    ("€ -1.234,56", -1234.56),
    ("(1.234,56)", -1234.56),
    ("\u22121.234,56", -1234.56),  # a Unicode minus sign
    ("1\u202f234,56", 1234.56),  # a narrow no-break space between thousands
])
def test_amounts_as_banks_write_them(fixtures: Path, tmp_path: Path, written: str,
                                     expected: float) -> None:
    folder = fixtures / "tabular"
    lines = (folder / "bank_export.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "one.csv"
    path.write_text(f"{lines[0]}\n{lines[1].replace('12.500,00', written)}\n",
                    encoding="utf-8")
    ingest("csv", [path], tmp_path / "s", mapping=folder / "bank_export.yaml", rates=RATES)
    row = open_set(tmp_path / "s").transactions().to_pylist()[0]
    swapped = row["source"] != "DE9837040044053201300000"
    assert (-row["amount_orig"] if swapped else row["amount_orig"]) == expected


@pytest.mark.parametrize("written", ["1.234,56--", "--5", "$", "12,34,56", "1.234,56 EURO"])
def test_an_amount_not_a_number_is_still_refused(fixtures: Path, tmp_path: Path,
                                                 written: str) -> None:
    folder = fixtures / "tabular"
    lines = (folder / "bank_export.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "one.csv"
    path.write_text(f"{lines[0]}\n{lines[1].replace('12.500,00', written)}\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [path], tmp_path / "s", mapping=folder / "bank_export.yaml",
               rates=RATES)
    problem = caught.value.problems[0]
    assert (problem.location, problem.reason) == (
        f"{path}:2", f"transaction.amount: {written!r} is not a number")
    assert not (tmp_path / "s").exists()


def test_both_a_debit_and_a_credit_is_refused(fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "tabular" / "banks"
    path = tmp_path / "sparkasse.csv"
    path.write_bytes((folder / "sparkasse_soll_haben.csv").read_bytes()
                     .replace(b"1.099,95;;EUR", b"1.099,95;5,00;EUR")
                     .replace(b"Kartenzahlung;-4,80;;", b"Kartenzahlung;;;"))
    with pytest.raises(InputError) as caught:
        ingest("csv", [path], tmp_path / "s", mapping=folder / "sparkasse_soll_haben.yaml",
               rates=RATES)
    found = [(p.location, p.reason) for p in caught.value.problems]
    assert found == [
        (f"{path}:6", "transaction.amount: both a credit (5,00) and a debit (1.099,95)"),
        (f"{path}:9", "transaction.amount: neither a credit nor a debit")]
    assert not (tmp_path / "s").exists()


def test_totals_below_the_data_without_footer_rows_are_refused_by_line(
        fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "tabular" / "banks"
    mapping = tmp_path / "m.yaml"
    mapping.write_text((folder / "sparkasse_soll_haben.yaml").read_text(encoding="utf-8")
                       .replace("footer_rows: 2\n", ""), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [folder / "sparkasse_soll_haben.csv"], tmp_path / "s", mapping=mapping,
               rates=RATES)
    found = [(p.location.rsplit(":", 1)[-1], p.reason) for p in caught.value.problems]
    assert found == [("10", "transaction.date: 'Endsaldo' does not match %d.%m.%Y"),
                     ("10", "source: neither an account nor a party name"),
                     ("11", "expected 8 fields, found 1")]
    assert not (tmp_path / "s").exists()


def test_a_file_in_another_encoding_is_refused_by_line(fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "tabular" / "banks"
    mapping = tmp_path / "m.yaml"
    mapping.write_text((folder / "releve_fr.yaml").read_text(encoding="utf-8")
                       .replace("encoding: cp1252", "encoding: utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [folder / "releve_fr.csv"], tmp_path / "s", mapping=mapping,
               rates=RATES)
    problem = caught.value.problems[0]
    assert problem.location == f"{folder / 'releve_fr.csv'}:1"
    assert "cannot read the file as utf-8 CSV" in problem.reason
    assert not (tmp_path / "s").exists()


# -- exports published by others (tests/fixtures/money/tabular/published/SOURCES.md) --------


def _published(fixtures: Path, tmp_path: Path, name: str,
               mapping: str) -> tuple[IngestReport, list[dict[str, Any]]]:
    folder = fixtures / "tabular" / "published"
    report = ingest("csv", [folder / name], tmp_path / "s", mapping=folder / mapping,
                    rates=RATES)
    return report, open_set(tmp_path / "s").transactions().to_pylist()


def test_comdirect_export_pending_row_filtered_and_named(fixtures: Path,
                                                          tmp_path: Path) -> None:
    name = "comdirect-umsaetze_1234567890_20231006_1804.csv"
    report, rows = _published(fixtures, tmp_path, name, "comdirect.yaml")
    own = "1234567890"
    assert [(r["source_line"], str(r["ts"].date()), r["source"] == own, r["amount_orig"])
            for r in rows] == [(6, "2023-10-06", True, 40.01), (7, "2023-10-05", False, 1265.64),
                               (8, "2023-10-02", True, 1234.56), (9, "2023-09-04", True, 150.0)]
    assert f"{name}: 1 row left out by the filters (line 5)" in [str(n) for n in report.notes]


def test_dkb_export_payer_and_payee_columns_with_signed_amounts(
        fixtures: Path, tmp_path: Path) -> None:
    _, rows = _published(fixtures, tmp_path, "dkb.csv", "dkb.yaml")
    stored = open_set(tmp_path / "s")
    names = {f"party:{p['party_id']}": p["name"] for p in stored.parties().to_pylist()}
    assert [(str(r["ts"].date()), names[r["source"]], names[r["target"]], r["amount_orig"])
            for r in rows] == [
        ("2024-12-10", "Name bei anderer Bank", "Eigener Name", 1000.0),
        ("2024-10-01", "DKB AG", "DKB AG", 0.0),
        ("2024-09-30", "Eigener Name", "Name bei anderer Bank", 2000.0)]


def test_volksbank_export_own_account_in_every_row(fixtures: Path, tmp_path: Path) -> None:
    _, rows = _published(fixtures, tmp_path,
                         "volksbank-Umsaetze_DE12345678901234567890_2023.10.04.csv",
                         "volksbank.yaml")
    own = "DE12345678901234567890"
    assert [(r["source_line"], r["source"] == own, r["amount_orig"], r["channel"])
            for r in rows] == [(2, True, 6.0, "Basislastschrift"),
                               (3, False, 600.0, "DAUERAUFTRAG"),
                               (4, True, 17.0, "Kartenzahlung girocard"),
                               (5, True, 19.2, "ABSCHLUSS")]
    assert rows[1]["source"] == "DE11112222333344445555"
