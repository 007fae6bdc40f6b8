"""The pieces every reader shares: merging what several rows tell about one account, the
Parquet row writer of the chain imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.money.ingest.base import ParquetRowWriter, merge_account

WEI = pa.schema([pa.field("txn_id", pa.string(), nullable=False),
                 pa.field("value_wei", pa.string(), nullable=False)])


def _row(kind: str, **fields: Any) -> dict[str, Any]:
    return {"account_id": "A1", "bank": None, "country": None, "kind": kind,
            "party_id": None, "source_ref": "f.xml", **fields}


def test_later_rows_fill_only_empty_fields() -> None:
    accounts: dict[str, dict[str, Any]] = {}
    merge_account(accounts, _row("foreign", bank="BANKDEFF"))
    merge_account(accounts, _row("foreign", bank="OTHERBIC", country="DE", party_id="p1"))
    assert accounts["A1"]["bank"] == "BANKDEFF"
    assert accounts["A1"]["country"] == "DE"
    assert accounts["A1"]["party_id"] == "p1"


def test_unknown_kind_is_upgraded_and_domestic_wins() -> None:
    accounts: dict[str, dict[str, Any]] = {}
    merge_account(accounts, _row("unknown"))
    merge_account(accounts, _row("foreign"))
    assert accounts["A1"]["kind"] == "foreign"
    merge_account(accounts, _row("unknown"))
    assert accounts["A1"]["kind"] == "foreign"
    merge_account(accounts, _row("domestic"))
    assert accounts["A1"]["kind"] == "domestic"
    merge_account(accounts, _row("foreign"))
    assert accounts["A1"]["kind"] == "domestic"


def _wei_rows(count: int) -> list[dict[str, Any]]:
    return [{"txn_id": f"t{i}", "value_wei": f"1500000000000000000000000000000{i}"}
            for i in range(count)]


def test_row_writer_writes_a_row_group_per_full_buffer(tmp_path: Path) -> None:
    # the folders are made at the first row group
    path = tmp_path / "chain" / "raw" / "rows.parquet"
    writer = ParquetRowWriter(path, WEI, 3, compression="zstd")
    for row in _wei_rows(7):
        writer.add(row)
    assert path.is_file() and len(writer.rows) == 1  # two row groups out, the last row waits
    writer.close()
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 3, 1]
    assert meta.row_group(0).column(0).compression == "ZSTD"
    table = pq.read_table(path)
    assert table.schema == WEI
    assert table.to_pylist() == _wei_rows(7)  # wei stays exact text


def test_row_writer_without_rows_writes_only_when_asked(tmp_path: Path) -> None:
    ParquetRowWriter(tmp_path / "none.parquet", WEI, 3, compression="zstd").close()
    assert not (tmp_path / "none.parquet").exists()
    ParquetRowWriter(tmp_path / "new" / "empty.parquet", WEI, 3, compression="snappy",
                     empty_file=True).close()  # in a folder not made yet
    table = pq.read_table(tmp_path / "new" / "empty.parquet")
    assert table.num_rows == 0 and table.schema == WEI


def test_row_writer_without_a_path_drops_the_rows(tmp_path: Path) -> None:
    writer = ParquetRowWriter(None, WEI, 2, compression="zstd", empty_file=True)
    for row in _wei_rows(5):
        writer.add(row)
    writer.close()
    assert writer.rows == []
    assert list(tmp_path.iterdir()) == []
