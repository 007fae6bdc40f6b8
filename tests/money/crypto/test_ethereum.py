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
    assert report.notes == ["2 contract call(s) without ether were left out (they move no "
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
