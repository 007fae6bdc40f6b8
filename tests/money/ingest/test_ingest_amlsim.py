from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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


def test_bad_rows_are_all_reported_and_nothing_is_written(fixtures: Path, tmp_path: Path,
                                                          leftovers) -> None:
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
