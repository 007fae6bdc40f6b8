"""Ethereum transactions (ethereum-etl export) as an account-based set: the detectors and the
trace of every other set work on its addresses."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tocsin.errors import InputError
from tocsin.money.detect import make
from tocsin.money.engines.base import open_engine, run_detectors
from tocsin.money.ingest import detect_format, ingest
from tocsin.money.trace import TraceConfig, trace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
ETH = FIXTURES / "eth-transactions.csv"
SENDER = "0xc446f02d364fbaf2911646bcbff56e6613c6e740"


def test_real_transactions_import(tmp_path: Path) -> None:
    assert detect_format(ETH) == "ethereum"
    report = ingest("ethereum", [ETH], tmp_path / "set")
    assert report.transactions == 13
    assert report.notes == ["2 contract calls without ether were left out (they move no "
                            "ether)"]
    rows = pq.read_table(tmp_path / "set" / "transactions.parquet").to_pylist()
    first = next(r for r in rows if r["txn_id"].startswith("0x534020e7"))
    assert first["amount_orig"] == pytest.approx(0.0848) and first["currency_orig"] == "ETH"
    assert first["source_line"] == 2 and first["ts"].year == 2023
    accounts = pq.read_table(tmp_path / "set" / "accounts.parquet").to_pylist()
    assert {(a["kind"], a["bank"]) for a in accounts} == {("unknown", "ethereum")}


def test_detectors_and_trace_work_on_addresses(tmp_path: Path) -> None:
    ingest("ethereum", [ETH], tmp_path / "set")
    engine = open_engine(tmp_path / "set", "embedded")
    found = run_detectors(engine, [make("fan_out")])
    assert [f.subject for f in found] == [SENDER]
    result = trace(engine, accounts=[SENDER], config=TraceConfig(direction="forward",
                                                                rule="fifo", hops=2))
    assert {e.account for e in result.end_points} >= {
        "0x03c105954b5f012ff13f798a75f2523264a66f6b", "0xdd0242ed2c3de5d8ef9f4b707d8495d51fc4f024"}


def test_bad_rows_are_named(tmp_path: Path) -> None:
    lines = ETH.read_text().splitlines()
    bad = lines[1].replace("84800000000000000", "-5").replace(
        "0xaa5b4912762581d4bc519bba2c694a9f5ab7fe23", "nobody")
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join([lines[0], bad, lines[2]]) + "\n")
    with pytest.raises(InputError) as err:
        ingest("ethereum", [path], tmp_path / "set")
    assert "transactions.csv:2: to_address: 'nobody' is not an Ethereum address" \
        in str(err.value)
    assert not (tmp_path / "set").exists()
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing column"):
        ingest("ethereum", [other], tmp_path / "set")


def test_a_timestamp_beyond_any_date_is_named(tmp_path: Path) -> None:
    header, row = ETH.read_text().splitlines()[:2]
    column = header.split(",").index("block_timestamp")
    cells = row.split(",")
    cells[column] = "9" * 30
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join([header, ",".join(cells)]) + "\n")
    with pytest.raises(InputError, match=r"block_timestamp: .* is neither Unix seconds"):
        ingest("ethereum", [path], tmp_path / "set")
    assert not (tmp_path / "set").exists()


TOKENS = FIXTURES / "eth-token-transfers.csv"
BLOCKS = FIXTURES / "eth-blocks.csv"
REAL_TOKENS = FIXTURES / "eth-token-transfers-483920.csv"
COLLECTOR = "0x" + "c0" * 20


def test_token_transfers_become_payments_in_their_token(tmp_path: Path) -> None:
    assert detect_format(TOKENS) == "ethereum" and detect_format(BLOCKS) == "ethereum"
    report = ingest("ethereum", [TOKENS, BLOCKS], tmp_path / "set")
    assert report.transactions == 10
    assert "eth-token-transfers.csv: 1 token transfer of value 0 was left out (it moves " \
           "nothing)" in report.notes
    assert "1 transfer of 1 token not in the token table kept its raw integer value, " \
           "unscaled, in currency XXX with no value in EUR: 0x7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e" \
           "7e7e7e (1)" in report.notes
    rows = {r["txn_id"]: r for r in
            pq.read_table(tmp_path / "set" / "transactions.parquet").to_pylist()}
    usdt = [r for r in rows.values() if r["currency_orig"] == "USDT"]
    assert sorted(r["amount_orig"] for r in usdt)[0] == 9500.0  # 6 decimals
    assert all(r["ts"].timestamp() == 1683029999 for r in rows.values())
    assert usdt[0]["amount"] == pytest.approx(usdt[0]["amount_orig"] * 0.91)
    odd = next(r for r in rows.values() if r["currency_orig"] == "XXX")
    assert odd["amount"] == 0.0 and odd["amount_orig"] == float(2**255 + 12345)
    exact = {r["symbol"]: r for r in
             pq.read_table(tmp_path / "set" / "ethereum" / "token_transfers.parquet").to_pylist()}
    assert exact["DAI"]["value"] == "1234.567890123456789012"  # beyond float and int64
    assert exact["DAI"]["value_raw"] == "1234567890123456789012"
    assert exact[None]["value_raw"] == str(2**255 + 12345) and exact[None]["value"] is None
    assert exact["USDC"]["value"] == "58450.000000"


def test_token_values_beyond_decimal_precision_stay_exact(tmp_path: Path) -> None:
    header, first = TOKENS.read_text().splitlines()[:2]
    big = 2**256 - 1  # 78 digits
    path = tmp_path / "token_transfers.csv"
    path.write_text("\n".join([header, first.replace(",9500000000,", f",{big},")]) + "\n")
    ingest("ethereum", [path, BLOCKS], tmp_path / "set")
    [row] = pq.read_table(tmp_path / "set" / "ethereum" / "token_transfers.parquet").to_pylist()
    digits = str(big)
    assert row["value"] == f"{digits[:-6]}.{digits[-6:]}" and row["value_raw"] == digits


def test_a_fan_in_on_a_token_is_found_and_traced(tmp_path: Path) -> None:
    ingest("ethereum", [ETH, TOKENS], tmp_path / "set")  # time from the transactions file
    engine = open_engine(tmp_path / "set", "embedded")
    found = run_detectors(engine, [make("fan_in")])
    assert [f.subject for f in found] == [COLLECTOR]
    result = trace(engine, accounts=[COLLECTOR], config=TraceConfig(direction="forward",
                                                                   rule="fifo", hops=2))
    assert {e.account for e in result.end_points} == {"0x" + "0b" * 20}


def test_token_transfers_without_a_time_are_refused_plainly(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        ingest("ethereum", [REAL_TOKENS], tmp_path / "set")
    assert "eth-token-transfers-483920.csv:2: block 483920 has no time, nor have 0 other " \
           "blocks of this file: give the blocks.csv of the same ethereum-etl export" \
           in str(err.value)
    assert not (tmp_path / "set").exists()


def test_bad_token_transfers_are_named(tmp_path: Path) -> None:
    lines = TOKENS.read_text().splitlines()
    lines[1] = lines[1].replace("9500000000", "9.5e9")
    lines[2] = lines[2].replace("0xdac17f958d2ee523a2206206994597c13d831ec7", "tether")
    lines[3] = lines[3].replace(",3,17173049", ",three,17173049")
    lines[4] = lines[4].replace("9700000000", str(2**256))
    path = tmp_path / "token_transfers.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        ingest("ethereum", [path, BLOCKS], tmp_path / "set")
    text = str(err.value)
    assert "token_transfers.csv:2: value: '9.5e9' is not a token amount" in text
    assert "token_transfers.csv:3: token_address: 'tether' is not an Ethereum address" in text
    assert "token_transfers.csv:4: log_index: 'three' is not a whole number" in text
    assert "token_transfers.csv:5: value:" in text and "below 2^256" in text


def test_blocks_that_contradict_the_transactions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "blocks.csv"
    path.write_text(BLOCKS.read_text().replace("1683029999", "1683030000"))
    with pytest.raises(InputError, match=r"eth-transactions.csv:2: block 17173049 has the time "
                                         r"2023-05-02T12:19:59\+00:00 here and "
                                         r"2023-05-02T12:20:00\+00:00 at blocks.csv:2"):
        ingest("ethereum", [ETH, path], tmp_path / "set")


def test_blocks_alone_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"eth-blocks\.csv: blocks only give times"):
        ingest("ethereum", [BLOCKS], tmp_path / "set")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("84800000000000000", "8" * 5000, "transactions.csv:2: value: '8888"),  # beyond int()
    ("84800000000000000", "\u00b2", "transactions.csv:2: value: '\u00b2' is not an amount"),
])
def test_digits_python_cannot_convert_are_named(tmp_path: Path, old: str, new: str,
                                                expected: str) -> None:
    path = tmp_path / "transactions.csv"
    path.write_text(ETH.read_text().replace(old, new, 1))
    with pytest.raises(InputError) as err:
        ingest("ethereum", [path], tmp_path / "set")
    assert expected in str(err.value)


BIGQUERY = FIXTURES / "eth-bigquery-transactions.csv"


def _bigquery_rows(tmp_path: Path, path: Path) -> tuple[object, dict[str, dict]]:
    report = ingest("ethereum", [path], tmp_path / "set")
    rows = pq.read_table(tmp_path / "set" / "transactions.parquet").to_pylist()
    return report, {r["txn_id"][:10]: r for r in rows}


def test_failed_transactions_are_left_out_and_counted(tmp_path: Path) -> None:
    assert detect_format(BIGQUERY) == "ethereum"  # the receipt columns, in their order
    report, rows = _bigquery_rows(tmp_path, BIGQUERY)
    assert report.notes == ["eth-bigquery-transactions.csv: 2 failed transactions "
                            "(receipt_status 0) were left out: they moved no ether"]
    assert sorted((k, r["source"][:8], r["target"][:8], r["amount_orig"], r["ts"].isoformat())
                  for k, r in rows.items()) == [
        ("0x268ad70e", "0x2bd806", "0x81b637", pytest.approx(1.5), "2023-05-02T12:20:11+00:00"),
        # a contract creation pays the contract its receipt names
        ("0x584ad457", "0x61ea08", "0x7cbccb", 5.0, "2016-03-14T18:00:10+00:00"),  # no status
        ("0x965abb25", "0x2bd806", "0xb1924d", 0.25, "2023-05-02T12:20:11+00:00")]


def test_a_bom_and_crlf_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + BIGQUERY.read_bytes().replace(b"\n", b"\r\n"))
    assert detect_format(path) == "ethereum"
    _, crlf = _bigquery_rows(tmp_path / "a", path)
    _, plain = _bigquery_rows(tmp_path / "b", BIGQUERY)
    strip = {"source_ref", "source_file"}
    assert {k: {c: v for c, v in r.items() if c not in strip} for k, r in crlf.items()} == \
        {k: {c: v for c, v in r.items() if c not in strip} for k, r in plain.items()}


def test_a_receipt_status_that_is_neither_is_named(tmp_path: Path) -> None:
    lines = BIGQUERY.read_text().splitlines()
    lines[1] = lines[1].replace(",,1,2023", ",,success,2023", 1)
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"transactions.csv:2: receipt_status: 'success' is "
                                         r"not a receipt status"):
        ingest("ethereum", [path], tmp_path / "set")
    assert not (tmp_path / "set").exists()


def test_ether_values_are_kept_exact(tmp_path: Path) -> None:
    _bigquery_rows(tmp_path, BIGQUERY)
    exact = {r["txn_id"][:10]: r for r in
             pq.read_table(tmp_path / "set" / "ethereum" / "transactions.parquet").to_pylist()}
    assert {k: (r["value_wei"], r["value"]) for k, r in exact.items()} == {
        "0x268ad70e": ("1500000000000000001", "1.500000000000000001"),  # beyond a float
        "0x965abb25": ("250000000000000000", "0.250000000000000000"),
        "0x584ad457": ("5000000000000000000", "5.000000000000000000")}
    assert exact["0x268ad70e"]["source_ref"] == "eth-bigquery-transactions.csv:2"


@pytest.mark.parametrize("name", ["eth-transactions.csv", "eth-token-transfers.csv",
                                  "eth-blocks.csv"])
def test_a_row_longer_than_the_header_is_refused(tmp_path: Path, name: str) -> None:
    lines = (FIXTURES / name).read_text().splitlines()
    lines[1] += ",['0x01aa', '0x01bb']"  # a list cell left unquoted
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"{name}:2: more cells than the header has columns"):
        ingest("ethereum", [path, ETH if name == "eth-blocks.csv" else BLOCKS], tmp_path / "set")
    assert not (tmp_path / "set").exists()


def test_blob_columns_with_a_quoted_list_are_read(tmp_path: Path) -> None:
    lines = ETH.read_text().splitlines()
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join([lines[0] + ",max_fee_per_blob_gas,blob_versioned_hashes",
                               lines[1] + ',1000000000,"[\'0x01aa\', \'0x01bb\']"']) + "\n")
    report = ingest("ethereum", [path], tmp_path / "set")
    assert report.transactions == 1 and report.notes == []
