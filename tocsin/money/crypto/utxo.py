"""The UTXO model of a Bitcoin transaction set, kept in the set's folder under ``bitcoin/``.

=========================  =================================================================
``transactions.parquet``   txid, block, height, time, order, fee, counts, where it came from
``inputs.parquet``         txid, vin, the outpoint it spends (prev_txid, prev_vout), coinbase
                           flag, and — when the spent output is in the set — its value,
                           script type and address
``outputs.parquet``        txid, vout, value (satoshi), script type, address, script, and the
                           input that spends it when that is in the set
=========================  =================================================================

The importer (:mod:`tocsin.money.ingest.bitcoin`) also writes the set's canonical
``transactions.parquet`` (address to address flows), so the account-based
detectors, the network view and the exports work on a Bitcoin set too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.errors import InputError

FOLDER = "bitcoin"
TRANSACTIONS_FILE = "transactions.parquet"
INPUTS_FILE = "inputs.parquet"
OUTPUTS_FILE = "outputs.parquet"
SATOSHI = 100_000_000

TRANSACTIONS = pa.schema([
    pa.field("txid", pa.string(), nullable=False),
    pa.field("block_hash", pa.string()),
    pa.field("height", pa.int64()),
    pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
    # The order of the transaction in the set: blocks as imported, transactions as in the block.
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("coinbase", pa.bool_(), nullable=False),
    pa.field("input_count", pa.int64(), nullable=False),
    pa.field("output_count", pa.int64(), nullable=False),
    pa.field("output_value", pa.int64(), nullable=False),
    pa.field("fee", pa.int64()),  # null unless every spent output is in the set
    pa.field("size", pa.int64()),
    pa.field("source_file", pa.string()),
    pa.field("source_ref", pa.string()),  # file: byte offset, or file: JSON path
])

INPUTS = pa.schema([
    pa.field("txid", pa.string(), nullable=False),
    pa.field("vin", pa.int64(), nullable=False),
    pa.field("prev_txid", pa.string()),  # null for a coinbase input
    pa.field("prev_vout", pa.int64()),
    pa.field("coinbase", pa.bool_(), nullable=False),
    pa.field("sequence", pa.int64()),
    pa.field("witness_items", pa.int64()),
    pa.field("value", pa.int64()),  # of the spent output, when it is in the set
    pa.field("script_type", pa.string()),
    pa.field("address", pa.string()),
])

OUTPUTS = pa.schema([
    pa.field("txid", pa.string(), nullable=False),
    pa.field("vout", pa.int64(), nullable=False),
    pa.field("value", pa.int64(), nullable=False),  # satoshi
    pa.field("script_type", pa.string(), nullable=False),
    pa.field("address", pa.string()),
    pa.field("script", pa.string()),  # hex
    pa.field("spent_by", pa.string()),  # txid of the spending transaction, when in the set
    pa.field("spent_vin", pa.int64()),
])

SCHEMAS = {TRANSACTIONS_FILE: TRANSACTIONS, INPUTS_FILE: INPUTS, OUTPUTS_FILE: OUTPUTS}


@dataclass(frozen=True)
class Utxo:
    """The UTXO files of one set."""

    folder: Path

    def file(self, name: str) -> Path:
        return self.folder / name

    @property
    def transactions(self) -> Path:
        return self.folder / TRANSACTIONS_FILE

    @property
    def inputs(self) -> Path:
        return self.folder / INPUTS_FILE

    @property
    def outputs(self) -> Path:
        return self.folder / OUTPUTS_FILE

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.folder / name, columns=columns)


def write_rows(set_folder: Path, txs: list[dict[str, Any]], inputs: list[dict[str, Any]],
               outputs: list[dict[str, Any]]) -> None:
    """Write a UTXO model built as rows (generated or hand-made chains): each output is
    marked with the input that spends it, when that input is in the rows."""
    spent_by = {(i["prev_txid"], i["prev_vout"]): (i["txid"], i["vin"])
                for i in inputs if not i["coinbase"]}
    for out in outputs:
        out["spent_by"], out["spent_vin"] = spent_by.get((out["txid"], out["vout"]), (None, None))
    target = Path(set_folder) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for name, rows in ((TRANSACTIONS_FILE, txs), (INPUTS_FILE, inputs), (OUTPUTS_FILE, outputs)):
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[name]), target / name)


def has_utxo(set_folder: Path) -> bool:
    return (Path(set_folder) / FOLDER / OUTPUTS_FILE).is_file()


def open_utxo(set_folder: Path) -> Utxo:
    """The UTXO model of a set folder; a set of another format is refused plainly."""
    folder = Path(set_folder) / FOLDER
    missing = [n for n in SCHEMAS if not (folder / n).is_file()]
    if missing:
        raise InputError.single("set", "this transaction set holds no Bitcoin transactions "
                                       "(import raw blocks or Bitcoin Core JSON)")
    return Utxo(folder)


def btc(satoshi: int | None) -> str:
    """Satoshi as a bitcoin amount for people (8 decimals, trailing zeros kept to 2)."""
    if satoshi is None:
        return "unknown"
    whole, rest = divmod(abs(satoshi), SATOSHI)
    text = f"{whole}.{rest:08d}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{whole}.{rest:08d}"[: len(str(whole)) + 3]
    return ("-" if satoshi < 0 else "") + text + " BTC"
