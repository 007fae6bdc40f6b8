# ruff: noqa: S608 -- the SQL names only files of the import's own folder (checked for quotes).
"""Bitcoin: raw blocks and Bitcoin Core RPC JSON into the UTXO model and a transaction set.

Sources, each file told apart by its first bytes:

* ``blk*.dat`` files as Bitcoin Core stores them (magic bytes, length, block; the
  zero padding at the end is skipped); the magic bytes name the network;
* hex dumps: one block per line (``getblock <hash> 0`` output);
* JSON answers of Bitcoin Core's RPC: ``getblock`` with verbosity 2 (or 3) and
  ``getrawtransaction`` verbose, bare or inside ``{"result": …}``, one object
  or a list (a batch). A transaction's ``hex``, when present, is parsed and
  must give the ``txid`` the answer states; an address stated for an output
  must be the one its script gives.

Every block's transactions must hash to its header's Merkle root, so a cut or
altered block is refused. Problems name the file and the byte offset (raw)
or the JSON path, and nothing is written when there is one.

The UTXO model goes to ``bitcoin/`` in the set's folder
(:mod:`tocsin.money.crypto.utxo`); spent outputs are matched to their inputs
within the set. The canonical ``transactions.parquet`` gets one flow per
transaction, input address and output address: each output's value is shared
among the inputs in proportion to the values they spend (equally when an
input spends an output outside the set, named ``outside:<txid>:<vout>``). New
coins come from ``coinbase``; outputs without an address go to
``<script type>:<txid>:<vout>``. Amounts are in XBT, converted with the rate
table like every other currency. Accounts are of bank ``bitcoin`` and kind
``unknown``: ``crypto``, in a bank set the end point where money leaves for a
blockchain, would stop every trace at the first address.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeGuard

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin import limits
from tocsin.errors import located, reason_of
from tocsin.i18n import N_, N_plural, Number
from tocsin.limits import TooLarge
from tocsin.money.crypto import bitcoin as btc
from tocsin.money.crypto import utxo
from tocsin.money.ingest import bitcoin_etl, sql
from tocsin.money.ingest.base import (
    Context,
    ParquetRowWriter,
    flush_transactions,
    json_decimal,
)
from tocsin.money.schema import ACCOUNTS

CURRENCY = "XBT"
CHANNEL = "bitcoin"
FLUSH_ROWS = 200_000
#: Bounds of the header and transaction fields a node's JSON states (heights, versions and
#: sizes are 32-bit signed in the node; times, sequences, lock times and output indexes
#: unsigned).
INT32 = 2**31 - 1
UINT32 = 2**32 - 1


class _Rows:
    """Rows of the three UTXO tables, streamed to raw Parquet files in row groups."""

    def __init__(self, folder: Path) -> None:
        self.tables = {name: ParquetRowWriter(folder / f"raw-{name}", schema, FLUSH_ROWS,
                                              compression="snappy", empty_file=True)
                       for name, schema in utxo.SCHEMAS.items()}
        self.txids: set[str] = set()
        self.blocks: set[str] = set()
        self.seq = 0
        self.count = 0

    def add(self, name: str, row: dict[str, Any]) -> None:
        self.tables[name].add(row)

    def close(self) -> None:
        for table in self.tables.values():
            table.close()


def read(sources: Sequence[Path], ctx: Context) -> None:
    folder = ctx.writer.temp / utxo.FOLDER
    if "'" in folder.as_posix():
        ctx.problems.add("data folder", N_("a folder whose path holds a quote cannot take a "
                                           "Bitcoin import"))
        return
    folder.mkdir()
    rows = _Rows(folder)
    network = str(ctx.options.get("network", "mainnet"))
    if network not in btc.NETWORKS:
        ctx.problems.add("option network", N_("unknown network %(network)s; use one of "
                                              "%(choices)s", network=repr(network),
                                              choices=", ".join(btc.NETWORKS)))
        return
    skipped: list[str] = []
    etl = bitcoin_etl.EtlState()
    try:
        for path in sources:
            ctx.files.append(path)
            _read_file(path, network, rows, ctx, skipped, etl)
            if ctx.problems.full:
                break
    finally:
        rows.close()
    bitcoin_etl.finish(folder, ctx, etl, rows.count)
    if skipped:
        ctx.notes.append(N_plural("%(count)s block or transaction given twice was read once "
                                  "(first: %(first)s)",
                                  "%(count)s blocks or transactions given twice were read once "
                                  "(first: %(first)s)", len(skipped), count=len(skipped),
                                  first=skipped[0]))
    if ctx.problems:
        return
    _resolve(folder, ctx)
    if not ctx.problems:
        _flows(folder, ctx)


def _kind(path: Path, head: bytes) -> str:
    if head[:4] in btc.MAGIC or path.name.lower().startswith("blk"):
        return "blk"
    if bitcoin_etl.looks_like(head):
        return "etl"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "json"
    return "hex"


def _read_file(path: Path, network: str, rows: _Rows, ctx: Context, skipped: list[str],
               etl: bitcoin_etl.EtlState) -> None:
    size = path.stat().st_size
    most = limits.active().upload_max_bytes * 40
    if size > most:
        raise TooLarge.single(path.name, N_("%(size)s bytes is more than this import takes "
                                            "(%(most)s)", size=Number(size), most=Number(most)))
    data = path.read_bytes()
    kind = _kind(path, data[:4096])
    if kind == "etl":
        bitcoin_etl.read_file(path, data, rows, ctx, skipped, etl)
    elif kind == "blk":
        _read_blk(path, data, rows, ctx, skipped)
    elif kind == "json":
        _read_json(path, data, network, rows, ctx, skipped)
    else:
        _read_hex(path, data, network, rows, ctx, skipped)


def _read_blk(path: Path, data: bytes, rows: _Rows, ctx: Context, skipped: list[str]) -> None:
    try:
        for network, block in btc.iter_blk(data):
            _add_block(block, network, None, path, f"{path.name}: byte offset {block.offset}",
                       rows, ctx, skipped)
    except btc.BitcoinFormatError as exc:
        ctx.problems.add(f"{path.name}: byte offset {exc.offset}", exc.reason)


def _read_hex(path: Path, data: bytes, network: str, rows: _Rows, ctx: Context,
              skipped: list[str]) -> None:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        ctx.problems.add(f"{path.name}: byte offset {exc.start}",
                         N_("neither a blk*.dat file, JSON nor hexadecimal text"))
        return
    found = False
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = True
        where = f"{path.name}:{number}"
        bad = next((i for i, c in enumerate(line) if c not in "0123456789abcdefABCDEF"), None)
        if bad is not None:
            ctx.problems.add(f"{where}: character {bad + 1}",
                             N_("%(value)s is not a hexadecimal digit", value=repr(line[bad])))
            continue
        if len(line) % 2:
            ctx.problems.add(where, N_("an odd number of hexadecimal digits: the block is cut"))
            continue
        try:
            block = btc.parse_block(bytes.fromhex(line))
        except btc.BitcoinFormatError as exc:
            ctx.problems.add(f"{where}: byte offset {exc.offset}", exc.reason)
            continue
        _add_block(block, network, None, path, f"{where}: byte offset 0", rows, ctx, skipped)
    if not found:
        ctx.problems.add(path.name, N_("the file is empty"))


def _add_block(block: btc.Block, network: str, height: int | None, path: Path, ref: str,
               rows: _Rows, ctx: Context, skipped: list[str]) -> None:
    if block.hash in rows.blocks:
        skipped.append(f"block {block.hash}")
        return
    rows.blocks.add(block.hash)
    when = datetime.fromtimestamp(block.time, UTC)
    for tx in block.transactions:
        _add_tx(tx, network, block.hash, height, when, path,
                f"{path.name}: byte offset {tx.offset}", rows, ctx, skipped)


def _add_tx(tx: btc.Transaction, network: str, block_hash: str | None, height: int | None,
            when: datetime, path: Path, ref: str, rows: _Rows, ctx: Context,
            skipped: list[str], addresses: dict[int, str] | None = None,
            spent: dict[int, dict[str, Any]] | None = None) -> None:
    if tx.txid in rows.txids:
        skipped.append(f"transaction {tx.txid}")
        return
    rows.txids.add(tx.txid)
    rows.count += 1
    most = limits.active().max_rows
    if rows.count > most:
        raise TooLarge.single(path.name, N_("more than %(most)s transactions; the limit is set "
                                            "by TOCSIN_IMPORT_MAX_ROWS", most=Number(most)))
    rows.add(utxo.TRANSACTIONS_FILE, {
        "txid": tx.txid, "block_hash": block_hash, "height": height, "time": when,
        "seq": rows.seq, "coinbase": tx.is_coinbase, "input_count": len(tx.inputs),
        "output_count": len(tx.outputs), "output_value": sum(o.value for o in tx.outputs),
        "fee": None, "size": tx.size, "source_file": path.name, "source_ref": ref,
    })
    rows.seq += 1
    for vin, txin in enumerate(tx.inputs):
        coinbase = txin.is_coinbase
        rows.add(utxo.INPUTS_FILE, {
            "txid": tx.txid, "vin": vin, "prev_txid": None if coinbase else txin.prev_txid,
            "prev_vout": None if coinbase else txin.prev_vout, "coinbase": coinbase,
            "sequence": txin.sequence, "witness_items": len(txin.witness),
            **(spent or {}).get(vin, {}),
        })
    for vout, txout in enumerate(tx.outputs):
        kind, address = btc.classify(txout.script, network)
        stated = (addresses or {}).get(vout)
        if stated is not None and stated != address:
            ctx.problems.add(f"{ref}.vout[{vout}].scriptPubKey",
                             N_("the address %(stated)s differs from the one its script gives "
                                "(%(address)s; is the network %(network)s right?)",
                                stated=stated, address=address or "none", network=network))
        rows.add(utxo.OUTPUTS_FILE, {
            "txid": tx.txid, "vout": vout, "value": txout.value, "script_type": kind,
            "address": address, "script": txout.script.hex(),
        })


# --------------------------------------------------------------------------- JSON


class _JsonProblem(Exception):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(located(path, reason))


def _read_json(path: Path, data: bytes, network: str, rows: _Rows, ctx: Context,
               skipped: list[str]) -> None:
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_float=json_decimal)
    except UnicodeDecodeError as exc:
        ctx.problems.add(f"{path.name}: byte offset {exc.start}",
                         N_("the JSON is not UTF-8 text"))
        return
    except json.JSONDecodeError as exc:
        ctx.problems.add(f"{path.name}: line {exc.lineno} column {exc.colno}",
                         N_("malformed JSON (%(error)s)", error=exc.msg))
        return
    except ValueError as exc:  # a number of more digits than Python converts
        ctx.problems.add(path.name, N_("not valid JSON (%(error)s)", error=str(exc)))
        return
    except RecursionError:
        ctx.problems.add(path.name, N_("JSON nested too deeply"))
        return
    items = list(enumerate(doc)) if isinstance(doc, list) else [(None, doc)]
    for index, item in items:
        where = "$" if index is None else f"$[{index}]"
        try:
            _json_item(item, where, path, network, rows, ctx, skipped)
        except _JsonProblem as exc:
            ctx.problems.add(f"{path.name}: {exc.path}", exc.reason)
        except btc.BitcoinFormatError as exc:
            ctx.problems.add(f"{path.name}: {where}", reason_of(exc))


def _json_item(item: Any, where: str, path: Path, network: str, rows: _Rows, ctx: Context,
               skipped: list[str]) -> None:
    if isinstance(item, dict) and "result" in item and ("error" in item or "id" in item):
        if item.get("error"):
            raise _JsonProblem(f"{where}.error", N_("the node answered an error: %(error)s",
                                                    error=str(item["error"])))
        where, item = f"{where}.result", item["result"]
    if not isinstance(item, dict):
        raise _JsonProblem(where, N_("expected a block (getblock) or a transaction "
                                     "(getrawtransaction) object"))
    if "tx" in item:
        _json_block(item, where, path, network, rows, ctx, skipped)
    elif "txid" in item and "vin" in item:
        block_time = item.get("blocktime")
        if block_time is None:
            raise _JsonProblem(f"{where}.blocktime", N_("the transaction is not in a block "
                                                        "yet (no blocktime): it has no time"))
        when = _time(block_time, f"{where}.blocktime")
        spent: dict[int, dict[str, Any]] = {}
        tx, addresses = _json_tx(item, where, network, spent)
        _add_tx(tx, network, _text(item.get("blockhash"), f"{where}.blockhash", True), None,
                when, path, f"{path.name}: {where}", rows, ctx, skipped, addresses, spent)
    else:
        raise _JsonProblem(where, N_("neither a block (no 'tx') nor a transaction (no 'txid' "
                                     "and 'vin')"))


def _json_block(item: dict[str, Any], where: str, path: Path, network: str, rows: _Rows,
                ctx: Context, skipped: list[str]) -> None:
    block_hash = _text(item.get("hash"), f"{where}.hash")
    assert block_hash is not None
    if block_hash in rows.blocks:
        skipped.append(f"block {block_hash}")
        return
    when = _time(item.get("time"), f"{where}.time")
    height = item.get("height")
    if height is not None and not _in_range(height, 0, INT32):
        raise _JsonProblem(f"{where}.height", N_("%(value)s is not a block height",
                                                 value=repr(height)))
    txs = item["tx"]
    if not isinstance(txs, list) or not txs:
        raise _JsonProblem(f"{where}.tx", N_("expected the list of the block's transactions"))
    parsed = []
    for i, tx_item in enumerate(txs):
        tx_where = f"{where}.tx[{i}]"
        if isinstance(tx_item, str):
            raise _JsonProblem(tx_where, N_("a transaction id only: ask getblock with "
                                            "verbosity 2"))
        spent: dict[int, dict[str, Any]] = {}
        parsed.append((*_json_tx(tx_item, tx_where, network, spent), tx_where, spent))
    root = item.get("merkleroot")
    if root is not None and btc.merkle_root([tx.txid for tx, _, _, _ in parsed]) != root:
        raise _JsonProblem(f"{where}.tx", N_("the transactions do not hash to the block's "
                                             "merkleroot: the block is incomplete or altered"))
    rows.blocks.add(block_hash)
    for tx, addresses, tx_where, spent in parsed:
        _add_tx(tx, network, block_hash, height, when, path, f"{path.name}: {tx_where}",
                rows, ctx, skipped, addresses, spent)


def _json_tx(item: Any, where: str, network: str, spent: dict[int, dict[str, Any]] | None = None
             ) -> tuple[btc.Transaction, dict[int, str]]:
    """A transaction of a node's answer; ``spent`` gets what verbosity 3 states of the
    outputs its inputs spend (``prevout``)."""
    if not isinstance(item, dict):
        raise _JsonProblem(where, N_("expected a transaction object"))
    txid = _txid(item.get("txid"), f"{where}.txid")
    vouts = item.get("vout")
    if not isinstance(vouts, list):
        raise _JsonProblem(f"{where}.vout", N_("expected the list of outputs"))
    if spent is not None:
        _prevouts(item, where, network, vouts, spent)
    addresses: dict[int, str] = {}
    for i, out in enumerate(vouts):
        spk = out.get("scriptPubKey") if isinstance(out, dict) else None
        if not isinstance(spk, dict):
            raise _JsonProblem(f"{where}.vout[{i}].scriptPubKey", N_("missing"))
        listed = spk.get("addresses")
        # older nodes list every key of a bare multisig: none of them is the output's address
        stated = spk.get("address") or (listed[0] if isinstance(listed, list)
                                        and len(listed) == 1 else None)
        if isinstance(stated, str):
            addresses[i] = stated
    raw = item.get("hex")
    if raw is not None:
        data = _hex(raw, f"{where}.hex")
        try:
            tx = btc.parse_transaction(data)
        except btc.BitcoinFormatError as exc:
            raise _JsonProblem(f"{where}.hex", reason_of(exc)) from None
        if tx.txid != txid:
            raise _JsonProblem(f"{where}.hex", N_("the transaction hashes to %(hashed)s, not "
                                                  "the txid %(txid)s the answer states",
                                                  hashed=tx.txid, txid=txid))
        for i, out in enumerate(vouts):
            if i < len(tx.outputs) and _satoshi(out.get("value"), f"{where}.vout[{i}].value") \
                    != tx.outputs[i].value:
                raise _JsonProblem(f"{where}.vout[{i}].value",
                                   N_("differs from the value in hex"))
        return tx, addresses
    vins = item.get("vin")
    if not isinstance(vins, list) or not vins:
        raise _JsonProblem(f"{where}.vin", N_("expected the list of inputs"))
    inputs = []
    for i, vin in enumerate(vins):
        at = f"{where}.vin[{i}]"
        if not isinstance(vin, dict):
            raise _JsonProblem(at, N_("expected an input object"))
        sequence = _whole(vin.get("sequence", UINT32), f"{at}.sequence", 0, UINT32)
        if "coinbase" in vin:
            inputs.append(btc.TxIn(btc.COINBASE_TXID, btc.COINBASE_VOUT,
                                   _hex(vin["coinbase"], f"{at}.coinbase"), sequence))
            continue
        prev = _txid(vin.get("txid"), f"{at}.txid")
        vout = vin.get("vout")
        if not _in_range(vout, 0, UINT32):
            raise _JsonProblem(f"{at}.vout", N_("%(value)s is not an output index",
                                                value=repr(vout)))
        witness = [_hex(w, f"{at}.txinwitness[{k}]")
                   for k, w in enumerate(vin.get("txinwitness") or [])]
        inputs.append(btc.TxIn(prev, vout, b"", sequence, witness))
    outputs = []
    for i, out in enumerate(vouts):
        at = f"{where}.vout[{i}]"
        if out.get("n", i) != i:
            raise _JsonProblem(f"{at}.n", N_("%(kind)s %(index)s where %(expected)s was "
                                             "expected", kind="output",
                                             index=repr(out.get("n")), expected=i))
        outputs.append(btc.TxOut(_satoshi(out.get("value"), f"{at}.value"),
                                 _hex(out["scriptPubKey"].get("hex"), f"{at}.scriptPubKey.hex")))
    tx = btc.Transaction(txid=txid, wtxid=str(item.get("hash") or txid),
                         version=_whole(item.get("version", 1), f"{where}.version",
                                        -INT32 - 1, INT32),
                         locktime=_whole(item.get("locktime", 0), f"{where}.locktime", 0,
                                         UINT32), inputs=inputs, outputs=outputs,
                         size=_whole(item.get("size", 0), f"{where}.size", 0, INT32), offset=0)
    return tx, addresses


def _prevouts(item: dict[str, Any], where: str, network: str, vouts: list[Any],
              spent: dict[int, dict[str, Any]]) -> None:
    """The spent outputs a verbosity-3 answer states, checked against the ``fee`` it states."""
    vins = item.get("vin")
    if not isinstance(vins, list):
        return  # named where the inputs are read
    for i, vin in enumerate(vins):
        prevout = vin.get("prevout") if isinstance(vin, dict) else None
        if prevout is None:
            continue
        at = f"{where}.vin[{i}].prevout"
        spk = prevout.get("scriptPubKey") if isinstance(prevout, dict) else None
        if not isinstance(spk, dict):
            raise _JsonProblem(f"{at}.scriptPubKey", N_("missing"))
        kind, address = btc.classify(_hex(spk.get("hex"), f"{at}.scriptPubKey.hex"), network)
        stated = spk.get("address")
        if stated is not None and stated != address:
            raise _JsonProblem(f"{at}.scriptPubKey.address", N_(
                "the address %(stated)s differs from the one its script gives (%(address)s; "
                "is the network %(network)s right?)", stated=str(stated),
                address=address or "none", network=network))
        spent[i] = {"value": _satoshi(prevout.get("value"), f"{at}.value"),
                    "script_type": kind, "address": address}
    fee = item.get("fee")
    spends = [v for v in vins if isinstance(v, dict) and "coinbase" not in v]
    if fee is None or not spends or len(spent) != len(spends):
        return
    paid = sum(_satoshi(o.get("value"), f"{where}.vout") for o in vouts
               if isinstance(o, dict))
    stated_fee = _satoshi(fee, f"{where}.fee")
    if stated_fee != sum(s["value"] for s in spent.values()) - paid:
        raise _JsonProblem(f"{where}.fee", N_(
            "states %(stated)s satoshi, the outputs spent (prevout) minus the outputs is "
            "%(total)s", stated=stated_fee, total=sum(s["value"] for s in spent.values()) - paid))


def _in_range(value: Any, low: int, high: int) -> TypeGuard[int]:
    """Whether ``value`` is a JSON whole number (not a boolean) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _whole(value: Any, where: str, low: int, high: int) -> int:
    """A whole number within what its field holds in a block or transaction."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _JsonProblem(where, N_("%(value)s is not a whole number", value=repr(value)))
    if not low <= value <= high:
        raise _JsonProblem(where, N_("%(value)s is out of range", value=repr(value)))
    return value


def _text(value: Any, where: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _JsonProblem(where, N_("missing") if value is None else
                           N_("%(value)s is not text", value=repr(value)))
    return value


def _txid(value: Any, where: str) -> str:
    """A transaction id: 64 hexadecimal digits, as a node writes it (lower case)."""
    text = _text(value, where)
    assert text is not None
    lower = text.lower()
    if len(lower) != 64 or any(c not in "0123456789abcdef" for c in lower):
        raise _JsonProblem(where, N_("%(value)s is not a transaction id", value=repr(text)))
    return lower


def _hex(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise _JsonProblem(where, N_("missing") if value is None else
                           N_("expected hexadecimal text"))
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise _JsonProblem(where, N_("not hexadecimal")) from None


def _satoshi(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _JsonProblem(where, N_("missing") if value is None else
                           N_("%(value)s is not an amount", value=repr(value)))
    try:
        sat = Decimal(value) * utxo.SATOSHI
    except InvalidOperation:
        raise _JsonProblem(where, N_("%(value)s is not an amount", value=repr(value))) from None
    if sat != sat.to_integral_value() or sat < 0 or sat > 21_000_000 * utxo.SATOSHI:
        raise _JsonProblem(where, N_("%(value)s is not an amount of bitcoin (8 decimals at "
                                     "most, within the supply)", value=str(value)))
    return int(sat)


def _time(value: Any, where: str) -> datetime:
    # a block header holds its time in 32 bits: nothing later than 2106-02-07
    if not _in_range(value, 0, UINT32):
        raise _JsonProblem(where, N_("missing") if value is None else
                           N_("%(value)s is not a Unix time", value=repr(value)))
    return datetime.fromtimestamp(value, UTC)


# --------------------------------------------------------------------------- resolution


def _resolve(folder: Path, ctx: Context) -> None:
    """Match inputs to the outputs they spend; refuse an output spent twice."""
    raw = {name: (folder / f"raw-{name}").as_posix() for name in utxo.SCHEMAS}
    with sql.cursor() as con:
        twice = con.execute(
            f"SELECT prev_txid, prev_vout, count(*) AS n, min(txid), max(txid) "
            f"FROM read_parquet('{raw[utxo.INPUTS_FILE]}') WHERE NOT coinbase "
            f"GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 20").fetchall()
        for prev, vout, _n, first, second in twice:
            ctx.problems.add(f"transaction {second}", N_(
                "spends output %(output)s, which transaction %(first)s spends too",
                output=f"{prev}:{vout}", first=first))
        if ctx.problems:
            return
        differ = con.execute(
            f"SELECT i.txid, i.vin, i.value, o.value, i.address, o.address "
            f"FROM read_parquet('{raw[utxo.INPUTS_FILE]}') i "
            f"JOIN read_parquet('{raw[utxo.OUTPUTS_FILE]}') o "
            f"ON o.txid = i.prev_txid AND o.vout = i.prev_vout "
            f"WHERE i.value IS NOT NULL AND (i.value <> o.value OR i.address <> o.address) "
            f"ORDER BY 1, 2 LIMIT 20").fetchall()
        for txid, vin, stated, value, stated_address, address in differ:
            ctx.problems.add(f"transaction {txid} input {vin}",
                             N_("states %(stated)s satoshi from %(stated_address)s, the output "
                                "it spends holds %(value)s for %(address)s", stated=stated,
                                stated_address=stated_address or N_("no address"),
                                value=value, address=address or N_("no address")))
        if ctx.problems:
            return
        out = folder.as_posix()
        con.execute(f"""
            CREATE TEMP VIEW o AS SELECT * FROM read_parquet('{raw[utxo.OUTPUTS_FILE]}');
            CREATE TEMP VIEW i AS SELECT * FROM read_parquet('{raw[utxo.INPUTS_FILE]}');
            CREATE TEMP TABLE ir AS
              SELECT i.txid, i.vin, i.prev_txid, i.prev_vout, i.coinbase, i.sequence,
                     i.witness_items,
                     -- an enriched export states the spent output even when it is elsewhere
                     coalesce(o.value, i.value) AS value,
                     CASE WHEN o.txid IS NULL THEN i.script_type ELSE o.script_type END
                       AS script_type,
                     CASE WHEN o.txid IS NULL THEN i.address ELSE o.address END AS address
              FROM i LEFT JOIN o ON o.txid = i.prev_txid AND o.vout = i.prev_vout
              ORDER BY i.txid, i.vin;
            COPY ir TO '{out}/{utxo.INPUTS_FILE}' (FORMAT parquet, COMPRESSION zstd);
            COPY (SELECT o.txid, o.vout, o.value, o.script_type, o.address, o.script,
                         i.txid AS spent_by, i.vin AS spent_vin
                  FROM o LEFT JOIN i ON i.prev_txid = o.txid AND i.prev_vout = o.vout
                  ORDER BY o.txid, o.vout)
              TO '{out}/{utxo.OUTPUTS_FILE}' (FORMAT parquet, COMPRESSION zstd);
            COPY (SELECT t.txid, t.block_hash, t.height, t.time, t.seq, t.coinbase,
                         t.input_count, t.output_count, t.output_value,
                         CASE WHEN NOT t.coinbase AND f.unresolved = 0
                              THEN f.spent - t.output_value END AS fee,
                         t.size, t.source_file, t.source_ref
                  FROM read_parquet('{raw[utxo.TRANSACTIONS_FILE]}') t
                  LEFT JOIN (SELECT txid, sum(value)::BIGINT AS spent,
                                    count(*) - count(value) AS unresolved
                             FROM ir GROUP BY txid) f USING (txid)
                  ORDER BY t.seq)
              TO '{out}/{utxo.TRANSACTIONS_FILE}' (FORMAT parquet, COMPRESSION zstd);
        """)
        negative = con.execute(
            f"SELECT txid, fee FROM read_parquet('{out}/{utxo.TRANSACTIONS_FILE}') "
            "WHERE fee < 0 LIMIT 20").fetchall()
        for txid, fee in negative:
            ctx.problems.add(f"transaction {txid}", N_("spends %(amount)s satoshi less than "
                                                       "it pays out", amount=-fee))
    for name in utxo.SCHEMAS:
        (folder / f"raw-{name}").unlink()
        _conform(folder / name, utxo.SCHEMAS[name])


def _conform(path: Path, schema: pa.Schema) -> None:
    # one file: read without the dataset layer of pq.read_table (a millisecond a file)
    table = pq.ParquetFile(path).read()
    pq.write_table(table.select(schema.names).cast(schema), path, compression="zstd")


def _flows(folder: Path, ctx: Context) -> None:
    """The account-based view: address to address flows for the canonical transactions table."""
    base = folder.as_posix()
    with sql.cursor() as con:
        con.execute(f"""
            CREATE TEMP VIEW t AS SELECT * FROM read_parquet('{base}/{utxo.TRANSACTIONS_FILE}');
            CREATE TEMP TABLE src AS
              SELECT i.txid,
                     CASE WHEN i.coinbase THEN 'coinbase'
                          WHEN i.value IS NULL THEN 'outside:' || i.prev_txid || ':' || i.prev_vout
                          ELSE coalesce(i.address, i.script_type || ':' || i.prev_txid || ':'
                                        || i.prev_vout) END AS account,
                     CASE WHEN i.coinbase OR i.value IS NULL THEN 1.0 ELSE i.value END AS w,
                     bool_or(i.coinbase OR i.value IS NULL) OVER (PARTITION BY i.txid) AS equal
              FROM read_parquet('{base}/{utxo.INPUTS_FILE}') i;
            CREATE TEMP TABLE share AS
              SELECT txid, account, sum(CASE WHEN equal THEN 1.0 ELSE w END) AS w
              FROM src GROUP BY txid, account;
            CREATE TEMP TABLE dst AS
              SELECT txid, coalesce(address, script_type || ':' || txid || ':' || vout) AS account,
                     sum(value)::DOUBLE AS value
              FROM read_parquet('{base}/{utxo.OUTPUTS_FILE}') GROUP BY 1, 2;
            CREATE TEMP TABLE flows AS
              SELECT s.txid, s.account AS source, d.account AS target,
                     d.value * s.w / sum(s.w) OVER (PARTITION BY s.txid, d.account) / 1e8
                       AS amount_orig,
                     t.time AS ts, t.seq, t.source_file, t.source_ref
              FROM share s JOIN dst d USING (txid) JOIN t USING (txid);
        """)
        table = con.sql("""
            SELECT txid || ':' || row_number() OVER (PARTITION BY txid ORDER BY source, target)
                     AS txn_id,
                   ts, source, target, amount_orig, 'XBT' AS currency_orig,
                   'bitcoin' AS channel, source_ref, source_file
            FROM flows ORDER BY seq, source, target""").to_arrow_table()
        accounts = con.sql("""
            SELECT account AS account_id, 'bitcoin' AS bank, 'unknown' AS kind
            FROM (SELECT source AS account FROM flows UNION SELECT target FROM flows)
            ORDER BY account""").to_arrow_table()
    step = 100_000
    for start in range(0, table.num_rows, step):
        flush_transactions(ctx, table.slice(start, step).to_pylist())
    acc = pa.Table.from_pydict(
        {f.name: (accounts.column(f.name) if f.name in accounts.column_names
                  else pa.nulls(accounts.num_rows, f.type)) for f in ACCOUNTS},
        schema=ACCOUNTS)
    ctx.writer.write_accounts(acc)
