from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from tocsin.errors import InputError
from tocsin.money.dataset import open_set
from tocsin.money.ingest import detect_format, ingest
from tocsin.money.schema import ACCOUNTS, TRANSACTIONS


def test_tiny_set_is_imported_with_steps_as_days(fixtures: Path, tmp_path: Path) -> None:
    report = ingest("amlsim", [fixtures / "amlsim_tiny"], tmp_path / "set",
                    options={"start": "2023-05-01", "currency": "USD"})
    assert (report.transactions, report.accounts, report.has_labels) == (4, 4, True)
    stored = open_set(tmp_path / "set")
    txns = stored.transactions()
    assert txns.schema.equals(TRANSACTIONS)
    assert stored.accounts().schema.equals(ACCOUNTS)
    rows = txns.to_pylist()
    assert rows[0]["ts"] == datetime(2023, 5, 1, tzinfo=UTC)
    assert rows[2]["ts"] == datetime(2023, 5, 4, tzinfo=UTC)
    assert rows[1]["source_ref"] == "transactions.csv:3"
    assert [(r["source_file"], r["source_line"]) for r in rows] == [
        ("transactions.csv", line) for line in (2, 3, 4, 5)]
    assert rows[0]["currency_orig"] == "USD"
    assert rows[0]["amount"] == pytest.approx(100.50 * 0.91)  # shipped indicative USD rate
    labels = dict(zip(stored.accounts()["account_id"].to_pylist(),
                      stored.accounts()["label"].to_pylist(), strict=True))
    assert labels == {"0": True, "1": True, "2": True, "3": False}
    assert stored.meta.sources == ["transactions.csv", "nodes.csv"]


Leftovers = Callable[[Path], list[str]]


def test_bad_rows_are_all_reported_and_nothing_is_written(fixtures: Path, tmp_path: Path,
                                                          leftovers: Leftovers) -> None:
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [fixtures / "amlsim_bad"], tmp_path / "set")
    where = {p.location.rsplit("/", 1)[-1]: p.reason for p in caught.value.problems}
    assert "not in nodes.csv" in where["transactions.csv:3"]
    assert "not a number" in where["transactions.csv:4"]
    assert "simulation step" in where["transactions.csv:5"]
    assert leftovers(tmp_path) == []


def test_detects_the_folder(fixtures: Path) -> None:
    assert detect_format(fixtures / "amlsim_tiny") == "amlsim"
    assert detect_format(fixtures / "amlsim_tiny" / "transactions.csv") == "amlsim"


def test_the_published_20k_fanin_sample(amlsim_sample: Path, tmp_path: Path) -> None:
    report = ingest("amlsim", [amlsim_sample], tmp_path / "set")
    assert (report.transactions, report.accounts) == (118_250, 20_000)
    accounts = open_set(tmp_path / "set").accounts()
    assert pc.sum(accounts["label"]).as_py() == 954
    txns = open_set(tmp_path / "set").transactions(["source", "target"])
    ids = set(accounts["account_id"].to_pylist())
    assert set(txns["source"].to_pylist()) <= ids
    # the sample repeats rows exactly (17440 -> 1086, 3.34 at step 20 on lines 3239 and 3382)
    assert "254 transactions repeat an earlier row exactly (transactions.csv:3382, " \
        "transactions.csv:4504, transactions.csv:4572 and 251 more); each is kept as a " \
        "payment of its own" in report.notes


@pytest.mark.parametrize("name", ["nodes.csv", "transactions.csv"])
def test_a_header_whose_columns_differ_once_read_as_csv_is_a_located_problem(
        fixtures: Path, tmp_path: Path, name: str) -> None:
    # found by fuzzing: the first line names every column, but a carriage return inside it
    # ends the header for the CSV reader, which raised ArrowKeyError
    folder = tmp_path / "in"
    folder.mkdir()
    for file in ("nodes.csv", "transactions.csv"):
        data = (fixtures / "amlsim_tiny" / file).read_bytes()
        if file == name:
            first, rest = data.split(b"\n", 1)
            data = first.split(b",")[0] + b"\rx," + first + b"\n" + rest
        (folder / file).write_bytes(data)
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "s")
    problem = caught.value.problems[0]
    assert problem.location == f"{folder / name}:1"
    assert "the header, read as CSV, lacks a column" in problem.reason
    assert not (tmp_path / "s").exists()


def _copy(fixtures: Path, folder: Path, change: Callable[[str, bytes], bytes]) -> Path:
    folder.mkdir()
    for name in ("nodes.csv", "transactions.csv"):
        (folder / name).write_bytes(change(name, (fixtures / "amlsim_tiny" / name).read_bytes()))
    return folder


def _lines(tmp_path: Path, name: str) -> list[tuple[str, int, str]]:
    rows = open_set(tmp_path / name).transactions().to_pylist()
    return [(r["source"], r["source_line"], r["source_ref"]) for r in rows]


def test_files_as_the_published_samples_and_windows_write_them(fixtures: Path,
                                                                tmp_path: Path) -> None:
    # the published samples end their lines with CRLF; a copy re-saved on Windows starts
    # with a byte order mark; some writers put a space after each comma
    ingest("amlsim", [fixtures / "amlsim_tiny"], tmp_path / "plain")
    expected = _lines(tmp_path, "plain")
    for variant, change in {
        "crlf": lambda _, data: data.replace(b"\n", b"\r\n"),
        "bom": lambda _, data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
        "spaces": lambda _, data: data.replace(b",", b", "),
    }.items():
        folder = _copy(fixtures, tmp_path / variant, change)
        assert detect_format(folder / "transactions.csv") == "amlsim"
        report = ingest("amlsim", [folder], tmp_path / f"{variant}-set")
        assert (report.transactions, report.accounts) == (4, 4), variant
        assert _lines(tmp_path, f"{variant}-set") == expected, variant
        labels = open_set(tmp_path / f"{variant}-set").accounts()["label"].to_pylist()
        assert labels == [True, True, True, False], variant


def test_empty_lines_keep_the_line_numbers_of_the_rows_after_them(fixtures: Path,
                                                                   tmp_path: Path) -> None:
    def gaps(name: str, data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join([*lines[:2], b"", b",,,", *lines[2:]]) + b"\n"

    folder = _copy(fixtures, tmp_path / "in", gaps)
    report = ingest("amlsim", [folder], tmp_path / "s")
    assert "transactions.csv: 3 empty lines skipped (lines 3, 4, 8)" in report.notes
    assert "nodes.csv: 3 empty lines skipped (lines 3, 4, 8)" in report.notes
    assert [line for _, line, _ in _lines(tmp_path, "s")] == [2, 5, 6, 7]
    accounts = open_set(tmp_path / "s").accounts().to_pylist()
    assert [(a["account_id"], a["source_ref"]) for a in accounts] == [
        ("0", "nodes.csv:2"), ("1", "nodes.csv:5"), ("2", "nodes.csv:6"), ("3", "nodes.csv:7")]
    # a bad row after an empty line is named by its own line, the empty line is not reported
    (folder / "transactions.csv").write_bytes(
        (folder / "transactions.csv").read_bytes().replace(b"98.25", b"lots"))
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "t")
    assert [(p.location.rsplit("/", 1)[-1], p.reason) for p in caught.value.problems] == [
        ("transactions.csv:6", "value is not a number: 'lots'")]


def test_rows_repeated_exactly_are_counted_and_kept(fixtures: Path, tmp_path: Path) -> None:
    def again(name: str, data: bytes) -> bytes:
        if name == "nodes.csv":
            return data
        # line 6 repeats line 3; line 7 differs from it by its step, line 8 by its amount
        return data + b"1,2,99.00,1\n1,2,99.00,2\n1,2,99.0001,1\n"

    report = ingest("amlsim", [_copy(fixtures, tmp_path / "in", again)], tmp_path / "s")
    assert report.transactions == 7
    assert "1 transactions repeat an earlier row exactly (transactions.csv:6); each is kept " \
        "as a payment of its own" in report.notes
    plain = ingest("amlsim", [fixtures / "amlsim_tiny"], tmp_path / "t")
    assert not any("repeat" in note for note in plain.notes)


@pytest.mark.parametrize("index", ["", "Unnamed: 0"])
def test_a_copy_written_back_by_pandas(fixtures: Path, tmp_path: Path, index: str) -> None:
    def indexed(name: str, data: bytes) -> bytes:
        header, *rows = data.decode().splitlines()
        return "\n".join([f"{index},{header}",
                          *(f"{k},{row}" for k, row in enumerate(rows))]).encode() + b"\n"

    folder = _copy(fixtures, tmp_path / "in", indexed)
    assert detect_format(folder / "transactions.csv") == "amlsim"
    report = ingest("amlsim", [folder], tmp_path / "s")
    assert (report.transactions, report.accounts) == (4, 4)
    assert [line for _, line, _ in _lines(tmp_path, "s")] == [2, 3, 4, 5]


# -- AMLSim's own layouts: converted outputs, the raw log, the 2018 sample ------------------


def _by_id(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["txn_id"]: r for r in open_set(folder).transactions().to_pylist()}


def _accounts(folder: Path) -> dict[str, tuple[str, bool | None]]:
    return {r["account_id"]: (r["kind"], r["label"])
            for r in open_set(folder).accounts().to_pylist()}


@pytest.mark.parametrize("name", ["amlsim_converted", "amlsim_converted_upper", "amlsim_exports",
                                  "amlsim_log", "amlsim_sample_2018"])
def test_every_layout_with_a_space_after_each_comma(fixtures: Path, tmp_path: Path,
                                                   name: str) -> None:
    # the names are read trimmed, as the nodes layout reads them; before, the side files'
    # columns were looked up by the trimmed name in a table that kept the untrimmed one
    options = {"currency": "USD"}
    ingest("amlsim", [fixtures / name], tmp_path / "plain", options=options)
    spaced = tmp_path / "spaced"
    spaced.mkdir()
    for path in (fixtures / name).glob("*.csv"):
        (spaced / path.name).write_bytes(path.read_bytes().replace(b",", b", "))
    ingest("amlsim", [spaced], tmp_path / "spaced-set", options=options)
    plain, other = open_set(tmp_path / "plain"), open_set(tmp_path / "spaced-set")
    for table in ("transactions", "accounts"):
        kept = ["source", "target", "amount", "label", "label_pattern", "source_line"] \
            if table == "transactions" else ["account_id", "kind", "label"]
        assert getattr(other, table)().select(kept).equals(getattr(plain, table)().select(kept))


def test_a_side_file_naming_a_column_twice_is_refused(fixtures: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(fixtures / "amlsim_exports", folder)
    accounts = (folder / "accounts.csv").read_text().splitlines()
    accounts[0] = accounts[0].replace("prior_sar_count", "acct_rptng_crncy")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "set")
    assert [(p.location.rsplit("/", 1)[-1], str(p.reason)) for p in caught.value.problems] == [
        ("accounts.csv:1", "the header names acct_rptng_crncy more than once")]


def test_converted_outputs_label_each_transaction_with_its_typology(fixtures: Path,
                                                                  tmp_path: Path) -> None:
    report = ingest("amlsim", [fixtures / "amlsim_converted"], tmp_path / "set",
                    options={"currency": "USD"})
    assert (report.transactions, report.accounts, report.has_labels) == (12, 9, True)
    rows = _by_id(tmp_path / "set")
    assert open_set(tmp_path / "set").transactions().schema.equals(TRANSACTIONS)
    laundering = {k: r["label_pattern"] for k, r in rows.items() if r["label"]}
    assert laundering == {"3": "FAN-IN", "4": "FAN-IN", "5": "FAN-IN",
                          "6": "CYCLE", "7": "CYCLE", "8": "CYCLE"}
    # the fan-out alert is a false alert (is_sar False): neither labelled nor patterned
    assert (rows["9"]["label"], rows["9"]["label_pattern"]) == (False, None)
    assert rows["1"]["ts"] == datetime(2017, 1, 1, tzinfo=UTC)
    assert rows["5"]["ts"] == datetime(2017, 1, 4, tzinfo=UTC)
    assert (rows["1"]["source"], rows["1"]["target"], rows["1"]["channel"]) == (
        "0", "3", "TRANSFER")
    assert rows["1"]["amount"] == pytest.approx(120.5 * 0.91)  # shipped indicative USD rate
    assert (rows["8"]["source_file"], rows["8"]["source_line"]) == ("transactions.csv", 8)
    # cash: the branch is the beneficiary of a CASH-IN, the originator of a CASH-OUT
    assert (rows["2"]["source"], rows["2"]["target"], rows["2"]["channel"]) == (
        "3", "branch:0", "CASH-IN")
    assert (rows["11"]["source"], rows["11"]["target"], rows["11"]["source_ref"]) == (
        "branch:0", "4", "cash_tx.csv:3")
    accounts = _accounts(tmp_path / "set")
    assert accounts["branch:0"] == ("cash", None)
    assert accounts["0"] == ("domestic", False)  # account 0 is not branch 0
    assert {a for a, (_, label) in accounts.items() if label} == {str(i) for i in range(1, 8)}
    notes = [str(n) for n in report.notes]
    assert "not read: alert_accounts.csv, sar_accounts.csv" in notes
    assert any(n.startswith("accounts.csv: columns not kept") and "first_name" in n
               for n in notes)
    assert any(n.startswith("2 transactions of alerts that are not SAR") for n in notes)
    assert open_set(tmp_path / "set").meta.sources == [
        "transactions.csv", "accounts.csv", "alert_transactions.csv", "cash_tx.csv"]


def test_older_converted_outputs_with_steps_is_fraud_and_alert_accounts(
        fixtures: Path, tmp_path: Path) -> None:
    report = ingest("amlsim", [fixtures / "amlsim_converted_old"], tmp_path / "set",
                    options={"start": "2023-05-01"})
    rows = _by_id(tmp_path / "set")
    assert [rows[k]["ts"].day for k in "12345"] == [1, 3, 4, 5, 6]
    assert {k: (r["label"], r["label_pattern"]) for k, r in rows.items()} == {
        "1": (False, None), "2": (True, "STACK"), "3": (True, "STACK"),
        "4": (True, "layering"), "5": (False, None)}
    notes = [str(n) for n in report.notes]
    assert any(n.startswith("unknown typology 'layering' (2 rows of alert_accounts.csv)")
               for n in notes)
    assert "transactions.csv: column not kept (the set has no place for it): " \
           "is_frgn_trxn" in notes
    assert _accounts(tmp_path / "set")["10"] == ("domestic", False)


def test_without_alert_files_the_labels_stay_and_the_patterns_are_counted_missing(
        fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "amlsim_converted"
    report = ingest("amlsim", [source / "transactions.csv", source / "accounts.csv"],
                    tmp_path / "set")
    rows = _by_id(tmp_path / "set")
    assert sorted(k for k, r in rows.items() if r["label"]) == ["3", "4", "5", "6", "7", "8"]
    assert all(r["label_pattern"] is None for r in rows.values())
    assert "6 laundering transactions have no typology in the alert files" in [
        str(n) for n in report.notes]


def test_timestamps_as_written_iso_or_steps(fixtures: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "transactions.csv").write_text(
        "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
        "1,a,b,WIRE,1.0,2017-03-01,False,-1\n"
        "2,a,b,WIRE,1.0,2017-03-01 10:30:00,false,-1\n"
        "3,a,b,WIRE,1.0,2017-03-01T10:00:00+02:00,0,-1\n"
        "4,a,b,WIRE,1.0,3,1,-1\n")
    ingest("amlsim", [folder], tmp_path / "set", options={"start": "2024-01-01"})
    rows = _by_id(tmp_path / "set")
    assert [rows[k]["ts"] for k in "1234"] == [
        datetime(2017, 3, 1, tzinfo=UTC), datetime(2017, 3, 1, 10, 30, tzinfo=UTC),
        datetime(2017, 3, 1, 8, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC)]
    assert [rows[k]["label"] for k in "1234"] == [False, False, False, True]
    # without accounts.csv the accounts are the transactions' ends, unlabelled
    assert _accounts(tmp_path / "set") == {"a": ("domestic", None), "b": ("domestic", None)}


def test_bad_converted_rows_are_all_located_and_nothing_is_written(
        fixtures: Path, tmp_path: Path, leftovers: Leftovers) -> None:
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [fixtures / "amlsim_converted_bad"], tmp_path / "set")
    where = {p.location.rsplit("/", 1)[-1]: str(p.reason) for p in caught.value.problems}
    assert where["transactions.csv:3"] == "bene_acct is not in accounts.csv: '9'"
    assert where["transactions.csv:4"] == "base_amt is not a number: 'ten'"
    assert where["transactions.csv:5"].startswith("tran_timestamp is neither a simulation "
                                                  "step nor an ISO 8601 date")
    assert where["transactions.csv:6"] == "is_sar is neither true nor false: 'maybe'"
    assert where["transactions.csv:7"] == "base_amt is negative: '-3.0'"
    assert where["transactions.csv:8"] == "orig_acct is empty"
    assert where["cash_tx.csv:2"] == "tx_type is neither CASH-IN nor CASH-OUT: 'TRANSFER'"
    assert leftovers(tmp_path) == []


def test_a_transaction_id_given_twice_is_refused(tmp_path: Path, leftovers: Leftovers) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "transactions.csv").write_text(
        "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
        "7,a,b,WIRE,1.0,1,False,-1\n7,b,a,WIRE,2.0,2,False,-1\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "set")
    # the file, not the id, is where: "7: …" would read as line 7
    assert [(Path(p.location).name, str(p.reason)) for p in caught.value.problems] == [
        ("transactions.csv", "transaction id '7' appears 2 times")]
    assert leftovers(tmp_path) == ["in"]


def test_a_row_of_the_wrong_length_is_named_by_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "transactions.csv").write_text(
        "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
        "1,a,b,WIRE,1.0,1,False,-1\n2,a,b,WIRE,1.0\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "set")
    problem = caught.value.problems[0]
    assert problem.location == f"{folder / 'transactions.csv'}:3"
    assert str(problem.reason) == "expected 8 fields, found 5"


def test_a_last_line_cut_short_in_the_published_layout_is_named_by_file_and_line(
        fixtures: Path, tmp_path: Path, leftovers: Leftovers) -> None:
    # a copy cut short (a download or a disk that filled up): the problem named the folder
    # and quoted the CSV reader, without the file or the line
    out = tmp_path / "out"
    for name in ("transactions.csv", "nodes.csv"):
        def cut(file: str, data: bytes, name: str = name) -> bytes:
            kept = data.rstrip(b"\r\n")
            return kept[:kept.rfind(b"\n") + 1] + b"3,0,1" if file == name else data

        folder = _copy(fixtures, tmp_path / name, cut)
        with pytest.raises(InputError) as caught:
            ingest("amlsim", [folder], out / name)
        assert [(p.location, str(p.reason)) for p in caught.value.problems] == [
            (f"{folder / name}:5", "expected 4 fields, found 3")]
        assert not leftovers(out)


def test_the_raw_transaction_log(fixtures: Path, tmp_path: Path) -> None:
    report = ingest("amlsim", [fixtures / "amlsim_log"], tmp_path / "set")
    assert (report.transactions, report.accounts, report.has_labels) == (7, 7, True)
    rows = _by_id(tmp_path / "set")
    assert {k: r["label_pattern"] for k, r in rows.items() if r["label"]} == {
        "tx_log:3": "FAN-IN", "tx_log:4": "FAN-IN", "tx_log:5": "FAN-IN", "tx_log:6": "CYCLE"}
    assert rows["tx_log:8"]["ts"] == datetime(2017, 1, 10, tzinfo=UTC)
    assert (rows["tx_log:7"]["label"], rows["tx_log:7"]["label_pattern"]) == (False, None)
    accounts = open_set(tmp_path / "set").accounts().to_pylist()
    assert {a["account_id"] for a in accounts if a["label"]} == {"1", "2", "3", "4", "5", "6"}
    assert {(a["bank"], a["country"]) for a in accounts} == {("bank", "US")}
    assert any("oldbalanceOrig, newbalanceOrig" in str(n) for n in report.notes)


def test_ibm_2018_sample_outputs(fixtures: Path, tmp_path: Path) -> None:
    report = ingest("amlsim", [fixtures / "amlsim_sample_2018"], tmp_path / "set")
    assert (report.transactions, report.accounts, report.has_labels) == (133, 31, True)
    rows = _by_id(tmp_path / "set")
    assert all(r["label"] is None for r in rows.values())  # only accounts are labelled
    assert (rows["2"]["source"], rows["2"]["target"], rows["2"]["channel"]) == (
        "15", "25", "CHECK")
    assert rows["2"]["ts"] == datetime(2017, 1, 2, tzinfo=UTC)
    assert rows["131"]["ts"] == datetime(2017, 2, 18, tzinfo=UTC)
    assert (rows["17"]["source"], rows["17"]["target"]) == ("19", "branch:0")  # CASH-IN
    assert (rows["1"]["source"], rows["1"]["target"]) == ("branch:0", "11")  # CASH-OUT
    assert sum(r["channel"] in ("CASH-IN", "CASH-OUT") for r in rows.values()) == 88
    accounts = _accounts(tmp_path / "set")
    assert {a for a, (_, label) in accounts.items() if label} == {"20", "24", "25", "26"}
    assert accounts["branch:0"] == ("cash", None)
    notes = [str(n) for n in report.notes]
    assert any(n.startswith("alerts.csv: 2 alerted accounts (cycle: 2)") for n in notes)
    assert "tx.csv labels no transaction: only accounts carry labels (isFraud)" in notes


@pytest.mark.parametrize(("name", "file"), [
    ("amlsim_converted", None), ("amlsim_converted", "transactions.csv"),
    ("amlsim_log", None), ("amlsim_log", "tx_log.csv"),
    ("amlsim_sample_2018", None), ("amlsim_sample_2018", "tx.csv")])
def test_detects_every_layout(fixtures: Path, name: str, file: str | None) -> None:
    path = fixtures / name if file is None else fixtures / name / file
    assert detect_format(path) == "amlsim"


def test_unknown_files_are_refused_with_the_layouts_named(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [tmp_path / "other.csv"], tmp_path / "set")
    assert "not an AMLSim layout" in str(caught.value.problems[0].reason)


def test_evaluate_reports_recall_per_amlsim_typology(fixtures: Path, tmp_path: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from tocsin.cli.money_analysis import register

    ingest("amlsim", [fixtures / "amlsim_converted"], tmp_path / "set")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["evaluate", "--set-dir", str(tmp_path / "set"),
                                      "--engine", "embedded", "--rules", "--all-findings",
                                      "--json"])
    assert result.exit_code == 0, result.output
    judged = json.loads(result.output)
    assert set(judged["patterns"]) == {"FAN-IN", "CYCLE"}
    assert judged["transactions"]["tp"] + judged["transactions"]["fn"] == 6
    shipped = CliRunner().invoke(app, ["evaluate", "--set-dir", str(tmp_path / "set"),
                                       "--engine", "embedded", "--json"])  # the shipped model
    assert shipped.exit_code == 0, shipped.output
    patterns = json.loads(shipped.output)["patterns"]
    assert {k: v["count"] for k, v in patterns.items()} == {"FAN-IN": 3, "CYCLE": 3}


def test_the_upper_case_variant_of_the_converted_outputs(fixtures: Path,
                                                         tmp_path: Path) -> None:
    # TX_ID,SENDER_ACCOUNT_ID,… with IS_FRAUD, steps as TIMESTAMP and alerts.csv
    report = ingest("amlsim", [fixtures / "amlsim_converted_upper"], tmp_path / "set")
    assert (report.transactions, report.accounts, report.has_labels) == (5, 6, True)
    rows = _by_id(tmp_path / "set")
    assert {k: r["label_pattern"] for k, r in rows.items() if r["label"]} == {
        "3": "FAN-IN", "4": "FAN-IN", "5": "GATHER-SCATTER"}
    assert (rows["5"]["source"], rows["5"]["target"], rows["5"]["ts"]) == (
        "20", "25", datetime(2017, 1, 3, tzinfo=UTC))
    accounts = _accounts(tmp_path / "set")
    assert {a for a, (_, label) in accounts.items() if label} == {"20", "23", "24", "25"}
    assert detect_format(fixtures / "amlsim_converted_upper" / "transactions.csv") == "amlsim"


def test_a_missing_column_and_text_that_is_not_utf8_are_located(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "transactions.csv").write_text(
        "tran_id,orig_acct,bene_acct,tx_type,tran_timestamp,is_sar\n1,a,b,WIRE,1,False\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "set")
    problem = caught.value.problems[0]
    assert problem.location == f"{folder / 'transactions.csv'}:1"
    assert str(problem.reason).startswith("missing column base_amt; the header is")
    (folder / "transactions.csv").write_bytes(
        b"tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar\n"
        b"1,a,b,WIRE,1.0,1,False\n2,Z\xfcrich,b,WIRE,1.0,1,False\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "set")
    problem = caught.value.problems[0]
    assert (problem.location, str(problem.reason)) == (
        f"{folder / 'transactions.csv'}:3", "not UTF-8 text")
    assert not (tmp_path / "set").exists()


def test_amounts_are_in_the_currency_the_accounts_report_in(fixtures: Path,
                                                            tmp_path: Path) -> None:
    # AMLSim's accounts.csv says the simulation's currency (acct_rptng_crncy: USD); the
    # amounts were taken in the base currency, EUR, without a word
    report = ingest("amlsim", [fixtures / "amlsim_converted"], tmp_path / "set")
    rows = _by_id(tmp_path / "set")
    assert {r["currency_orig"] for r in rows.values()} == {"USD"}
    assert rows["1"]["amount"] == pytest.approx(120.5 * 0.91)  # shipped indicative USD rate
    notes = [str(n) for n in report.notes]
    assert "accounts.csv: amounts taken in USD, the currency the accounts report in " \
           "(acct_rptng_crncy)" in notes
    assert not any("acct_rptng_crncy" in n for n in notes if "not kept" in n)
    # the option still decides
    ingest("amlsim", [fixtures / "amlsim_converted"], tmp_path / "eur",
           options={"currency": "EUR"})
    assert {r["currency_orig"] for r in _by_id(tmp_path / "eur").values()} == {"EUR"}


def test_accounts_in_several_currencies_are_named_and_none_is_chosen(fixtures: Path,
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(fixtures / "amlsim_converted", folder)
    accounts = (folder / "accounts.csv").read_text().splitlines()
    accounts[2] = accounts[2].replace(",USD,", ",GBP,")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n")
    report = ingest("amlsim", [folder], tmp_path / "set")
    assert {r["currency_orig"] for r in _by_id(tmp_path / "set").values()} == {"EUR"}
    assert "accounts.csv: the accounts report in several currencies (GBP, USD); the " \
           "amounts are taken in EUR (give option currency)" in [str(n) for n in report.notes]
    accounts[2] = accounts[2].replace(",GBP,", ",USD,")
    (folder / "accounts.csv").write_text(
        "\n".join(a.replace(",USD,", ",XTS,") for a in accounts) + "\n")
    with pytest.raises(InputError) as caught:
        ingest("amlsim", [folder], tmp_path / "bad")
    assert [(p.location.rsplit("/", 1)[-1], str(p.reason)) for p in caught.value.problems] == [
        ("accounts.csv:1", "no exchange rate for XTS into EUR")]


def test_alert_accounts_of_the_upper_case_variant_give_the_typologies(fixtures: Path,
                                                                    tmp_path: Path) -> None:
    # alerts.csv naming alerted accounts, not transactions (ALERT_ID,ACCOUNT_ID,…,ALERT_TYPE),
    # as AMLSim outputs loaded into graph databases keep it: it was left unread, and every
    # laundering transaction came without its typology
    folder = tmp_path / "in"
    shutil.copytree(fixtures / "amlsim_converted_upper", folder)
    (folder / "alerts.csv").write_text(
        "ALERT_ID,ACCOUNT_ID,CUSTOMER_ID,EVENT_DATE,ALERT_TYPE,ACCOUNT_TYPE,IS_SAR\n"
        "4,20,C_20,20170102,fan_in,INDIVIDUAL,YES\n"
        "4,23,C_23,20170102,fan_in,INDIVIDUAL,YES\n"
        "4,24,C_24,20170102,fan_in,INDIVIDUAL,YES\n"
        "9,20,C_20,20170103,gather_scatter,INDIVIDUAL,YES\n"
        "9,25,C_25,20170103,gather_scatter,INDIVIDUAL,YES\n")
    report = ingest("amlsim", [folder], tmp_path / "set")
    rows = _by_id(tmp_path / "set")
    assert {k: r["label_pattern"] for k, r in rows.items() if r["label"]} == {
        "3": "FAN-IN", "4": "FAN-IN", "5": "GATHER-SCATTER"}
    notes = [str(n) for n in report.notes]
    assert not any(n.startswith("not read") for n in notes)
    assert not any("have no typology" in n for n in notes)
    assert "alerts.csv" in open_set(tmp_path / "set").meta.sources


def test_alert_transactions_missing_from_the_transactions_are_counted(fixtures: Path,
                                                                      tmp_path: Path) -> None:
    # a part of a run's transactions.csv (its first rows) beside the whole run's
    # alert_transactions.csv: the typologies of the rows left out went without a word
    folder = tmp_path / "in"
    shutil.copytree(fixtures / "amlsim_converted", folder)
    lines = (folder / "transactions.csv").read_text().splitlines()
    (folder / "transactions.csv").write_text("\n".join(lines[:6]) + "\n")  # up to tran_id 6
    report = ingest("amlsim", [folder], tmp_path / "set", options={"currency": "USD"})
    assert report.transactions == 7  # 5 transfers and the 2 cash payments
    assert "4 transactions of alert_transactions.csv are not among the transactions " \
           "imported" in [str(n) for n in report.notes]
    whole = ingest("amlsim", [fixtures / "amlsim_converted"], tmp_path / "whole")
    assert not any("not among" in str(n) for n in whole.notes)
