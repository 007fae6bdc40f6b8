"""Laundering data sets as another project keeps them (tests/fixtures/money/fraud_benchmark):
PaySim's log through the AMLSim importer, SAML-D through the guided import, and both on to
the model, the evaluation and the detectors. Five rows each: what is imported, noted and
refused, not how well a model does."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import detect_format, ingest
from tocsin.money.ingest.mapping import parse_mapping
from tocsin.money.ingest.suggest import suggest

HOURS = {2: 1, 3: 1, 4: 2, 5: 3, 6: 25}  # PaySim's step of each line: an hour each


@pytest.fixture
def published(fixtures: Path) -> Path:
    return fixtures / "fraud_benchmark"


def _rows(folder: Path) -> dict[int, dict[str, object]]:
    return {r["source_line"]: r for r in open_set(folder).transactions().to_pylist()}


def _run(*args: str) -> Any:
    from tocsin.cli.money_analysis import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, [*args, "--engine", "embedded", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_paysim_log_is_read_with_steps_as_hours(published: Path, tmp_path: Path) -> None:
    path = published / "paysim_sample.csv"
    assert detect_format(path) == "amlsim"
    report = ingest("amlsim", [path], tmp_path / "set", options={"start": "2024-03-01"})
    assert (report.transactions, report.accounts, report.has_labels) == (5, 10, True)
    rows = _rows(tmp_path / "set")
    assert {line: r["ts"] for line, r in rows.items()} == {
        line: datetime(2024, 3, 1 + hours // 24, hours % 24, tzinfo=UTC)
        for line, hours in HOURS.items()}
    assert {line for line, r in rows.items() if r["label"]} == {3, 4}
    assert [rows[line]["channel"] for line in sorted(rows)] == [
        "PAYMENT", "TRANSFER", "CASH_OUT", "PAYMENT", "CASH_IN"]
    assert (rows[2]["source"], rows[2]["target"], rows[2]["amount_orig"]) == (
        "C1231006815", "M1979787155", 9839.64)
    assert all(r["label_pattern"] is None for r in rows.values())
    notes = [str(n) for n in report.notes]
    assert notes == [
        "paysim_sample.csv: PaySim's log; step N is the start (--start) plus N hours",
        "paysim_sample.csv: columns not kept (the set has no place for them): "
        "oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest, isFlaggedFraud"]


def test_paysim_log_named_as_amlsim_names_its_log(published: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(published / "paysim_sample.csv", folder / "tx_log.csv")
    report = ingest("amlsim", [folder], tmp_path / "set")
    assert report.transactions == 5
    assert _rows(tmp_path / "set")[6]["ts"] == datetime(2017, 1, 2, 1, tzinfo=UTC)


def test_a_log_of_neither_simulator_names_what_is_read(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,type,amount,nameOrig,nameDest,fraud\n1,PAYMENT,1.0,C1,M2,0\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [path], tmp_path / "set")
    assert "PaySim's log (step, nameOrig, nameDest, isFraud)" in str(
        caught.value.problems[0].reason)


def test_saml_d_currency_names_and_times_are_mapped(published: Path,
                                                              tmp_path: Path) -> None:
    path = published / "SAML-D.csv"
    found = suggest(path)
    assert found.fields["transaction.currency"] == "Payment_currency"
    assert found.fields["transaction.date.time"] == "Time"
    assert found.currency is None
    currency = found.raw()["transaction"]["currency"]
    assert currency["column"] == "Payment_currency"
    assert {currency["map"][n] for n in ("UK pounds", "Indian rupee", "Albanian lek")} == {
        "GBP", "INR", "ALL"}
    (tmp_path / "saml.yaml").write_text(found.yaml(), encoding="utf-8")
    report = ingest("csv", [path], tmp_path / "set", mapping=tmp_path / "saml.yaml")
    # the label and typology are proposed from their headers and values
    assert (found.fields["transaction.label"], found.fields["transaction.pattern"]) == (
        "Is_laundering", "Laundering_type")
    assert (report.transactions, report.accounts, report.has_labels) == (4, 7, True)
    rows = _rows(tmp_path / "set")
    assert [rows[line]["currency_orig"] for line in sorted(rows)] == [
        "INR", "ALL", "ALL", "GBP"]
    assert rows[5]["amount_orig"] == 55.10 and rows[5]["amount"] != 55.10
    # SAML-D's time of day is a column of its own, beside the date
    assert [rows[line]["ts"] for line in (2, 4, 5)] == [
        datetime(2022, 10, 7, 10, 35, 20, tzinfo=UTC),
        datetime(2022, 10, 8, 11, 2, 45, tzinfo=UTC),
        datetime(2022, 10, 9, 23, 59, 59, tzinfo=UTC)]
    assert [str(n) for n in report.notes] == [
        "SAML-D.csv: columns not read: Received_currency"]
    # the bank locations are country names and short forms (UK, UAE), mapped to codes
    countries = {r["account_id"]: r["country"]
                 for r in open_set(tmp_path / "set").accounts().to_pylist()}
    assert [(countries[str(rows[line]["source"])], countries[str(rows[line]["target"])])
            for line in sorted(rows)] == [("AL", "AE"), ("NG", "ES"), ("NG", "ES"),
                                          ("GB", "GB")]


def test_a_time_of_day_that_is_none_is_refused_by_line(published: Path,
                                                       tmp_path: Path) -> None:
    lines = (published / "SAML-D.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("11:02:44", "11h02")
    lines[3] = lines[3].replace("11:02:45", "")
    path = tmp_path / "SAML-D.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = tmp_path / "saml.yaml"
    mapping.write_text(suggest(published / "SAML-D.csv").yaml(), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [path], tmp_path / "set", mapping=mapping)
    assert [(p.location.rsplit("/", 1)[-1], str(p.reason)) for p in caught.value.problems] == [
        ("SAML-D.csv:3", "transaction.date.time: '11h02' is not a time of day (HH:MM or "
                         "HH:MM:SS)"),
        ("SAML-D.csv:4", "transaction.date.time: '' is not a time of day (HH:MM or "
                         "HH:MM:SS)")]
    assert not (tmp_path / "set").exists()


SAML_D_MAPPING = """
transaction:
  date: {column: Date, format: '%Y-%m-%d', time: Time}
  amount: Amount
  currency:
    column: Payment_currency
    map: {UK pounds: GBP, Indian rupee: INR, Albanian lek: ALL}
  channel: Payment_type
  label: Is_laundering
  pattern: Laundering_type
source: {account: Sender_account, country: Sender_bank_location}
target: {account: Receiver_account, country: Receiver_bank_location}
"""


def test_saml_d_names_of_places_and_currencies_are_refused_by_line(published: Path,
                                                                  tmp_path: Path) -> None:
    mapping = tmp_path / "saml.yaml"
    mapping.write_text(SAML_D_MAPPING, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest("csv", [published / "SAML-D.csv"], tmp_path / "set", mapping=mapping)
    said = {(p.location.rsplit("/", 1)[-1], str(p.reason)) for p in caught.value.problems}
    assert ("SAML-D.csv:5", "source.country: 'UK' is not an ISO 3166-1 alpha-2 country "
            "code") in said
    assert ("SAML-D.csv:2", "transaction.currency: 'DIRHAM' is not an ISO 4217 currency "
            "code") not in said  # the payment currency is the rupee; Dirham is received
    assert ("SAML-D.csv:2", "target.country: 'UAE' is not an ISO 3166-1 alpha-2 country "
            "code") in said
    assert len(said) == 8 and not (tmp_path / "set").exists()


def test_saml_d_labelled_through_score_evaluate_and_detect(published: Path,
                                                          tmp_path: Path) -> None:
    import yaml

    raw = yaml.safe_load(SAML_D_MAPPING)
    for side in ("source", "target"):
        del raw[side]["country"]
    parse_mapping(raw)  # still a whole mapping without the places
    mapping = tmp_path / "saml.yaml"
    mapping.write_text(yaml.safe_dump(raw), encoding="utf-8")
    report = ingest("csv", [published / "SAML-D.csv"], tmp_path / "set", mapping=mapping)
    assert report.has_labels
    rows = _rows(tmp_path / "set")
    assert {line: r["label_pattern"] for line, r in rows.items() if r["label"]} == {
        3: "Smurfing", 4: "Smurfing"}
    assert {r["label_pattern"] for r in rows.values() if not r["label"]} == {None}
    folder = str(tmp_path / "set")
    judged = _run("evaluate", "--set-dir", folder)
    transactions = judged["transactions"]
    assert transactions["tp"] + transactions["fn"] == 2  # the two Smurfing rows
    assert (transactions["rows"], judged["accounts"]["positives"]) == (4, 3)
    assert {k: v["count"] for k, v in judged["patterns"].items()} == {"Smurfing": 2}
    scored = _run("score", "--set-dir", folder, "--level", "transaction")
    assert sorted(r["subject"] for r in scored) == [f"SAML-D.csv:{n}" for n in range(2, 6)]
    # four payments are too few for any detector's baseline: nothing found, nothing invented
    assert _run("detect", "--set-dir", folder) == []


def test_amlworld_layout_with_seconds_and_iso_currencies(tmp_path: Path) -> None:
    # as generators that copy AMLworld's layout write it: seconds, ISO codes, "Account.1"
    path = tmp_path / "Gen_Trans.csv"
    path.write_text(
        "Timestamp,From Bank,Account,To Bank,Account.1,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        "2026/01/02 14:16:07,20,ACC_1327,10,ACC_1057,573.12,USD,573.12,USD,Cash,0\n"
        "2026/01/22 02:23,20,ACC_1044,50,ACC_1303,3622.15,USD,3622.15,USD,ACH,1\n"
        "22/01/2026 02:23:07,20,ACC_1044,50,ACC_1303,1.00,USD,1.00,USD,ACH,0\n")
    with pytest.raises(InputError) as caught:
        ingest("amlworld", [path], tmp_path / "bad")
    assert [(p.location.rsplit("/", 1)[-1], str(p.reason)) for p in caught.value.problems] == [
        ("Gen_Trans.csv:4", "timestamp is neither YYYY/MM/DD HH:MM (seconds may follow) nor "
                            "YYYY-MM-DD HH:MM:SS: '22/01/2026 02:23:07'")]
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    report = ingest("amlworld", [path], tmp_path / "set")
    rows = _rows(tmp_path / "set")
    assert report.transactions == 2
    assert (rows[2]["ts"], rows[3]["ts"]) == (datetime(2026, 1, 2, 14, 16, 7, tzinfo=UTC),
                                              datetime(2026, 1, 22, 2, 23, tzinfo=UTC))
    assert (rows[2]["currency_orig"], rows[2]["source"]) == ("USD", "20:ACC_1327")


def test_a_pattern_without_a_label_is_refused_by_its_key() -> None:
    import yaml

    raw = yaml.safe_load(SAML_D_MAPPING)
    del raw["transaction"]["label"]
    with pytest.raises(InputError) as caught:
        parse_mapping(raw, "saml.yaml")
    assert [(p.location, str(p.reason)) for p in caught.value.problems] == [
        ("saml.yaml: transaction", "give a 'label' with the 'pattern': only the rows it "
                                   "marks carry one")]


def test_amlsim_outputs_as_another_project_published_them(fixtures: Path,
                                                          tmp_path: Path) -> None:
    # tests/fixtures/money/amlsim_exports: written here in that project's layout (its
    # SOURCES.md says why); every account reports in USD, which the amounts now are in
    folder = fixtures / "amlsim_exports"
    assert detect_format(folder / "transactions.csv") == "amlsim"
    report = ingest("amlsim", [folder], tmp_path / "set")
    assert (report.transactions, report.accounts, report.has_labels) == (12, 10, True)
    rows = _rows(tmp_path / "set")
    assert {r["currency_orig"] for r in rows.values()} == {"USD"}
    assert rows[2]["amount_orig"] == 310.25 and rows[2]["amount"] == pytest.approx(310.25 * 0.91)
    assert rows[2]["ts"] == datetime(2011, 1, 1, tzinfo=UTC)
    assert {line: r["label_pattern"] for line, r in rows.items() if r["label"]} == {
        2: "FAN-IN", 5: "FAN-IN", 8: "FAN-IN"}
    assert (rows[11]["label"], rows[11]["label_pattern"]) == (False, None)  # a false alert
    accounts = {r["account_id"]: r for r in open_set(tmp_path / "set").accounts().to_pylist()}
    assert {a for a, r in accounts.items() if r["label"]} == {"3", "4", "5", "7"}
    assert (accounts["7"]["bank"], accounts["7"]["country"]) == ("east_bank", "US")
    notes = [str(n) for n in report.notes]
    assert "accounts.csv: amounts taken in USD, the currency the accounts report in " \
           "(acct_rptng_crncy)" in notes
    assert "1 transaction of alerts that are not SAR (false alerts) is not labelled and " \
           "carries no pattern" in notes
    folder_set = str(tmp_path / "set")
    judged = _run("evaluate", "--set-dir", folder_set)
    assert judged["transactions"]["positives"] == 3
    assert {k: v["count"] for k, v in judged["patterns"].items()} == {"FAN-IN": 3}
    assert len(_run("score", "--set-dir", folder_set, "--level", "transaction")) == 12
    assert _run("detect", "--set-dir", folder_set) == []  # too few for any baseline


@pytest.mark.parametrize("index", ["", "Unnamed: 0"])
def test_paysim_log_written_back_by_pandas_names_its_index(published: Path, tmp_path: Path,
                                                           index: str) -> None:
    # df.to_csv() without index=False: the row index first, under no name or "Unnamed: 0";
    # the note of columns not kept named it as an empty name (", oldbalanceOrg, …")
    lines = (published / "paysim_sample.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "paysim.csv"
    path.write_text("\n".join([f"{index},{lines[0]}",
                               *(f"{k},{line}" for k, line in enumerate(lines[1:]))]) + "\n")
    assert detect_format(path) == "amlsim"
    report = ingest("amlsim", [path], tmp_path / "set", options={"start": "2024-03-01"})
    assert report.transactions == 5
    assert {line for line, r in _rows(tmp_path / "set").items() if r["label"]} == {3, 4}
    assert [str(n) for n in report.notes] == [
        "paysim.csv: PaySim's log; step N is the start (--start) plus N hours",
        "paysim.csv: the first column is a row index added by the program that wrote the "
        "file; it is not kept",
        "paysim.csv: columns not kept (the set has no place for them): "
        "oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest, isFlaggedFraud"]
