from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tocsin import i18n
from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import detect_format, ingest
from tocsin.money.ingest.mapping import load_mapping, parse_mapping
from tocsin.money.rates import rates_from_mapping

RATES = rates_from_mapping({"base": "EUR", "rates": {"USD": 0.9, "GBP": 1.2}})


def test_bank_export_with_filters_swaps_and_parties(fixtures: Path, tmp_path: Path) -> None:
    folder = fixtures / "tabular"
    report = ingest("csv", [folder / "bank_export.csv"], tmp_path / "s",
                    mapping=folder / "bank_export.yaml", rates=RATES)
    assert report.transactions == 3  # the VORGEMERKT row is filtered out
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
    assert said["delimiter"] == "должно содержать не больше 1 символов"
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
