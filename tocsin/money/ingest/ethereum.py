"""Ethereum: the CSV exports of ethereum-etl as an account-based transaction set.

Each file is told apart by its header; one import may take all three:

``transactions.csv`` (``ethereumetl export_blocks_and_transactions``)
    ``hash, nonce, block_hash, block_number, transaction_index, from_address,
    to_address, value, gas, gas_price, input, block_timestamp, …``. Every
    transaction that moves ether becomes one payment from ``from_address`` to
    ``to_address``, its ``value`` in wei converted into ether (currency
    ``ETH``; the exact value, which a float amount cannot hold, is kept as
    decimal text in ``ethereum/transactions.parquet``). Contract calls without
    ether are counted in the notes and left out: they move no ether (the tokens they may move are in
    ``token_transfers.csv``). A contract creation pays the new contract, named
    ``creation:<hash>`` when the export does not give its address
    (``receipt_contract_address``). ``block_timestamp`` may be Unix seconds or
    a date and time. The ``txn_id`` is the transaction hash. An export with the
    receipt columns (``ethereumetl enrich``, the BigQuery tables' exports) marks
    failed transactions ``receipt_status`` 0: they moved no ether and are left
    out, counted in the notes.

``token_transfers.csv`` (``ethereumetl export_token_transfers``)
    ``token_address, from_address, to_address, value, transaction_hash,
    log_index, block_number``. Every transfer with a value becomes one payment
    whose currency is the token: a token of the token table
    (``tocsin/money/crypto/data/tokens.yaml``: address → symbol, decimals) is
    scaled by its decimals and valued with the rate table like any currency. A
    token not in the table keeps its raw integer value, unscaled, in currency
    ``XXX`` (ISO 4217's "no currency") with no value in the base currency, and
    the notes name it: a value is never scaled by guessed decimals. The
    exact values (uint256 exceeds every float and int64) are kept as decimal
    text in ``ethereum/token_transfers.parquet``. The export has no time: it
    comes from ``blocks.csv`` of the same export, or from the
    ``block_timestamp`` of ``transactions.csv`` rows in the same block; a
    transfer in a block neither gives is refused with a plain reason. The
    ``txn_id`` is ``<transaction hash>:<log index>``.

``blocks.csv`` (``ethereumetl export_blocks_and_transactions``)
    ``number, hash, …, timestamp, …``: the time of each block.

Addresses are lower-cased accounts of bank ``ethereum``; their kind is
``unknown``, not ``crypto``, which in a bank set marks an end point where money
leaves for a blockchain. Every bad row is reported with its file and line and
nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context as DecimalContext
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from tocsin.errors import located
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.base import (
    Context,
    ParquetRowWriter,
    accounts_table,
    flush_transactions,
)

REQUIRED = ("hash", "from_address", "to_address", "value", "block_timestamp")
TOKEN_REQUIRED = ("token_address", "from_address", "to_address", "value", "transaction_hash",
                  "log_index", "block_number")
BLOCK_REQUIRED = ("number", "timestamp")
WEI = Decimal(10) ** 18
#: ISO 4217's code for "no currency involved": the unit of a token not in the table.
UNVALUED = "XXX"
FOLDER = "ethereum"
TRANSFERS_FILE = "token_transfers.parquet"
ETHER_FILE = "transactions.parquet"
_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
#: ASCII digits only: isdigit() takes "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]{1,80}")
_HASH = re.compile(r"^0x[0-9a-f]{64}$")
BLOCK = 50_000
MAX_UINT256 = 2**256 - 1
EXACT = DecimalContext(prec=100)

TOKEN_TRANSFERS = pa.schema([
    pa.field("txn_id", pa.string(), nullable=False),
    pa.field("transaction_hash", pa.string(), nullable=False),
    pa.field("log_index", pa.int64(), nullable=False),
    pa.field("block_number", pa.int64(), nullable=False),
    pa.field("token_address", pa.string(), nullable=False),
    pa.field("symbol", pa.string()),  # null: not in the token table
    pa.field("decimals", pa.int64()),
    pa.field("source", pa.string(), nullable=False),
    pa.field("target", pa.string(), nullable=False),
    pa.field("value_raw", pa.string(), nullable=False),  # the uint256 as the export gives it
    pa.field("value", pa.string()),  # exact decimal, scaled; null when the token is unknown
    pa.field("source_ref", pa.string(), nullable=False),
])


#: The exact ether of each payment: a float amount holds about 16 digits, a value in wei up
#: to 78 (1.5 ether and 1 wei is 1500000000000000001 wei).
ETHER = pa.schema([
    pa.field("txn_id", pa.string(), nullable=False),
    pa.field("value_wei", pa.string(), nullable=False),
    pa.field("value", pa.string(), nullable=False),  # exact ether, 18 decimals
    pa.field("source_ref", pa.string(), nullable=False),
])


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int
    name: str


@cache
def tokens() -> dict[str, Token]:
    """The token table shipped in ``tocsin/money/crypto/data/tokens.yaml``."""
    text = resources.files("tocsin.money.crypto").joinpath("data/tokens.yaml") \
        .read_text("utf-8")
    raw = yaml.safe_load(text)["tokens"]
    return {str(a).lower(): Token(str(a).lower(), str(v["symbol"]), int(v["decimals"]),
                                  str(v["name"])) for a, v in raw.items()}


def kind_of(header: Sequence[str]) -> str | None:
    """Which ethereum-etl export a CSV header belongs to."""
    names = set(header)
    if set(TOKEN_REQUIRED) <= names:
        return "token_transfers"
    if set(REQUIRED) <= names:
        return "transactions"
    if set(BLOCK_REQUIRED) <= names and "hash" in names:
        return "blocks"
    return None


def read(sources: Sequence[Path], ctx: Context) -> None:
    files: dict[str, list[tuple[Path, str]]] = {"blocks": [], "transactions": [],
                                                "token_transfers": []}
    for path in sources:
        ctx.files.append(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            ctx.problems.add(f"{path.name}: byte offset {exc.start}", N_("not UTF-8 text"))
            continue
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
        kind = kind_of([h.strip() for h in header])
        if kind is None:
            ctx.problems.add(f"{path.name}:1", N_(
                "missing column(s): this is neither an ethereum-etl transactions export (hash, "
                "from_address, to_address, value, block_timestamp), token_transfers export "
                "(%(token)s) nor blocks export (number, hash, timestamp); the header is "
                "%(header)s", token=", ".join(TOKEN_REQUIRED), header=",".join(header)))
            continue
        files[kind].append((path, text))
    if ctx.problems:
        return
    if not files["transactions"] and not files["token_transfers"]:
        ctx.problems.add(", ".join(p.name for p, _ in files["blocks"]),
                         N_("blocks only give times: add the transactions.csv or "
                            "token_transfers.csv of the same export"))
        return
    times: dict[int, tuple[datetime, str]] = {}
    for path, text in files["blocks"]:
        _read_blocks(path, text, times, ctx)
    accounts: dict[str, dict[str, Any]] = {}
    # the exact ether of the payments
    ether = ParquetRowWriter(None if ctx.writer.check else ctx.writer.temp / FOLDER / ETHER_FILE,
                             ETHER, BLOCK, compression="zstd")
    try:
        for path, text in files["transactions"]:
            _read_transactions(path, text, accounts, times, ether, ctx)
            if ctx.problems.full:
                return
    finally:
        ether.close()
    transfers: list[dict[str, Any]] = []
    for path, text in files["token_transfers"]:
        _read_token_transfers(path, text, accounts, times, transfers, ctx)
        if ctx.problems.full:
            return
    if ctx.problems:
        return
    if transfers:
        table = pa.Table.from_pylist(transfers, schema=TOKEN_TRANSFERS)
        if not ctx.writer.check:
            folder = ctx.writer.temp / FOLDER
            folder.mkdir(exist_ok=True)
            pq.write_table(table, folder / TRANSFERS_FILE, compression="zstd")
    ctx.writer.write_accounts(accounts_table(sorted(accounts.values(),
                                                    key=lambda a: a["account_id"])))


def _read_blocks(path: Path, text: str, times: dict[int, tuple[datetime, str]],
                 ctx: Context) -> None:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for record in reader:
        where = f"{path.name}:{reader.line_num}"
        if None in record:
            ctx.problems.add(where, N_("more cells than the header has columns"))
            continue
        number = (record.get("number") or "").strip()
        if not _DIGITS.fullmatch(number) or len(number) > 18:
            ctx.problems.add(f"{where}: number", N_("%(value)s is not a block number",
                                                    value=repr(number)))
            continue
        when = _time((record.get("timestamp") or "").strip())
        if when is None:
            ctx.problems.add(f"{where}: timestamp", N_(
                "%(value)s is neither Unix seconds nor a date and time",
                value=repr(record.get("timestamp"))))
            continue
        _block_time(times, int(number), when, where, ctx)


def _block_time(times: dict[int, tuple[datetime, str]], number: int, when: datetime,
                where: str, ctx: Context) -> None:
    known = times.get(number)
    if known is None:
        times[number] = (when, where)
    elif known[0] != when:
        ctx.problems.add(where, N_("block %(number)s has the time %(time)s here and "
                                   "%(other)s at %(where)s", number=number,
                                   time=when.isoformat(), other=known[0].isoformat(),
                                   where=known[1]))


def _read_transactions(path: Path, text: str, accounts: dict[str, dict[str, Any]],
                       times: dict[int, tuple[datetime, str]], ether: ParquetRowWriter,
                       ctx: Context) -> None:
    rows: list[dict[str, Any]] = []
    calls = failed = 0
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for record in reader:
        line = reader.line_num
        where = f"{path.name}:{line}"
        if None in record:  # a cell with an unquoted comma: the columns may have shifted
            ctx.problems.add(where, N_("more cells than the header has columns"))
            continue
        row = _row(record, where, ctx)
        number = (record.get("block_number") or "").strip()
        stamp = _time((record.get("block_timestamp") or "").strip())
        if _DIGITS.fullmatch(number) and len(number) <= 18 and stamp is not None:
            _block_time(times, int(number), stamp, where, ctx)
        if row == "failed":
            failed += 1
            continue
        if isinstance(row, str):  # a contract call without ether
            calls += 1
            continue
        if row is None:
            continue
        row.update(source_ref=where, source_file=path.name, source_line=line)
        wei = row.pop("wei")
        ether.add({"txn_id": row["txn_id"], "value_wei": wei,
                   "value": f"{Decimal(wei).scaleb(-18, context=EXACT):.18f}",
                   "source_ref": where})
        _accounts(accounts, row)
        rows.append(row)
        if len(rows) >= BLOCK:
            flush_transactions(ctx, rows)
        if ctx.problems.full:
            return
    flush_transactions(ctx, rows)
    if calls:
        ctx.notes.append(N_plural("%(count)s contract call without ether was left out (it "
                                  "moves no ether)",
                                  "%(count)s contract calls without ether were left out (they "
                                  "move no ether)", calls, count=calls))
    if failed:
        ctx.notes.append(located(path.name, N_plural(
            "%(count)s failed transaction (receipt_status 0) was left out: it moved no ether",
            "%(count)s failed transactions (receipt_status 0) were left out: they moved no "
            "ether", failed, count=failed)))


def _accounts(accounts: dict[str, dict[str, Any]], row: dict[str, Any]) -> None:
    for account in (row["source"], row["target"]):
        accounts.setdefault(account, {"account_id": account, "kind": "unknown",
                                      "bank": "ethereum"})


def _row(record: dict[str, Any], where: str, ctx: Context) -> dict[str, Any] | str | None:
    txid = (record.get("hash") or "").strip().lower()
    if not _HASH.match(txid):
        ctx.problems.add(f"{where}: hash", N_("%(value)s is not a transaction hash",
                                              value=repr(txid)))
        return None
    source = (record.get("from_address") or "").strip().lower()
    target = (record.get("to_address") or "").strip().lower()
    created = (record.get("receipt_contract_address") or "").strip().lower()
    if not target:
        target = created or f"creation:{txid}"
    for column, value in (("from_address", source), ("to_address", target)):
        if not _ADDRESS.match(value) and not value.startswith("creation:"):
            ctx.problems.add(f"{where}: {column}", N_("%(value)s is not an Ethereum address",
                                                      value=repr(value)))
            return None
    raw = (record.get("value") or "").strip()
    if not _DIGITS.fullmatch(raw) or len(raw) > 78:
        ctx.problems.add(f"{where}: value", N_("%(value)s is not an amount in wei",
                                               value=repr(raw[:90])))
        return None
    # the enriched exports (receipt columns): a failed transaction moved no ether
    status = (record.get("receipt_status") or "").strip()
    if status not in ("", "0", "1"):
        ctx.problems.add(f"{where}: receipt_status", N_(
            "%(value)s is not a receipt status (1 succeeded, 0 failed)", value=repr(status[:20])))
        return None
    if status == "0":
        return "failed"
    if int(raw) == 0:
        return "call"
    when = _time((record.get("block_timestamp") or "").strip())
    if when is None:
        ctx.problems.add(f"{where}: block_timestamp",
                         N_("%(value)s is neither Unix seconds nor a date and time",
                            value=repr(record.get("block_timestamp"))))
        return None
    return {"txn_id": txid, "ts": when, "source": source, "target": target,
            "amount_orig": float(Decimal(raw) / WEI), "currency_orig": "ETH",
            "channel": "ethereum", "wei": str(int(raw))}


def _read_token_transfers(path: Path, text: str, accounts: dict[str, dict[str, Any]],
                          times: dict[int, tuple[datetime, str]],
                          transfers: list[dict[str, Any]], ctx: Context) -> None:
    table = tokens()
    valued: list[dict[str, Any]] = []
    unvalued: list[dict[str, Any]] = []
    unknown: dict[str, int] = {}
    untimed: dict[int, str] = {}
    seen: set[str] = {t["txn_id"] for t in transfers}
    zero = twice = 0
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for record in reader:
        line = reader.line_num
        where = f"{path.name}:{line}"
        if None in record:
            ctx.problems.add(where, N_("more cells than the header has columns"))
            continue
        parsed = _transfer(record, where, ctx)
        if parsed is None:
            continue
        token, source, target, value, txhash, log_index, number = parsed
        if value == 0:
            zero += 1
            continue
        txn_id = f"{txhash}:{log_index}"
        if txn_id in seen:
            twice += 1
            continue
        seen.add(txn_id)
        stamp = times.get(number)
        if stamp is None:
            untimed.setdefault(number, where)
            continue
        known = table.get(token)
        row = {"txn_id": txn_id, "ts": stamp[0], "source": source, "target": target,
               "source_ref": where, "source_file": path.name, "source_line": line}
        exact: str | None = None
        if known is not None:
            # exact: 78 digits of a uint256 exceed Decimal's default precision of 28
            scaled = Decimal(value).scaleb(-known.decimals, context=EXACT)
            exact = f"{scaled:f}"
            row.update(amount_orig=float(scaled), currency_orig=known.symbol,
                       channel=f"erc20:{known.symbol}")
            valued.append(row)
        else:
            unknown[token] = unknown.get(token, 0) + 1
            row.update(amount_orig=float(value), currency_orig=UNVALUED,
                       channel=f"erc20:{token}")
            unvalued.append(row)
        transfers.append({
            "txn_id": txn_id, "transaction_hash": txhash, "log_index": log_index,
            "block_number": number, "token_address": token,
            "symbol": known.symbol if known else None,
            "decimals": known.decimals if known else None, "source": source,
            "target": target, "value_raw": str(value), "value": exact, "source_ref": where})
        _accounts(accounts, row)
        if len(valued) >= BLOCK:
            flush_transactions(ctx, valued)
        if len(unvalued) >= BLOCK:
            _flush_unvalued(ctx, unvalued)
        if ctx.problems.full:
            return
    if untimed:
        number, where = next(iter(untimed.items()))
        ctx.problems.add(where, N_plural(
            "block %(number)s has no time, nor has %(count)s other block of this file: give "
            "the blocks.csv of the same ethereum-etl export (or its transactions.csv)",
            "block %(number)s has no time, nor have %(count)s other blocks of this file: give "
            "the blocks.csv of the same ethereum-etl export (or its transactions.csv)",
            len(untimed) - 1, number=number, count=len(untimed) - 1))
        return
    flush_transactions(ctx, valued)
    _flush_unvalued(ctx, unvalued)
    if zero:
        ctx.notes.append(located(path.name, N_plural(
            "%(count)s token transfer of value 0 was left out (it moves nothing)",
            "%(count)s token transfers of value 0 were left out (they move nothing)", zero,
            count=zero)))
    if twice:
        ctx.notes.append(located(path.name, N_plural(
            "%(count)s token transfer given twice was read once",
            "%(count)s token transfers given twice were read once", twice, count=twice)))
    if unknown:
        named = ", ".join(f"{a} ({n})" for a, n in sorted(unknown.items())[:5])
        moved = sum(unknown.values())
        # two counts: the tokens' clause is a plural message of its own
        unlisted = N_plural("%(count)s token not in the token table",
                          "%(count)s tokens not in the token table", len(unknown),
                          count=len(unknown))
        ctx.notes.append(N_plural("%(count)s transfer of %(tokens)s kept its raw integer value, "
                                  "unscaled, in currency %(currency)s with no value in "
                                  "%(base)s: %(named)s",
                                  "%(count)s transfers of %(tokens)s kept their raw integer "
                                  "value, unscaled, in currency %(currency)s with no value in "
                                  "%(base)s: %(named)s", moved, count=moved,
                                  tokens=unlisted, currency=UNVALUED, base=ctx.base_currency,
                                  named=named + (" …" if len(unknown) > 5 else "")))


def _transfer(record: dict[str, Any], where: str,
              ctx: Context) -> tuple[str, str, str, int, str, int, int] | None:
    values = {k: (record.get(k) or "").strip().lower() for k in TOKEN_REQUIRED}
    for column in ("token_address", "from_address", "to_address"):
        if not _ADDRESS.match(values[column]):
            ctx.problems.add(f"{where}: {column}", N_("%(value)s is not an Ethereum address",
                                                      value=repr(values[column])))
            return None
    if not _HASH.match(values["transaction_hash"]):
        ctx.problems.add(f"{where}: transaction_hash",
                         N_("%(value)s is not a transaction hash",
                            value=repr(values["transaction_hash"])))
        return None
    raw = values["value"]
    if not _DIGITS.fullmatch(raw) or len(raw) > 78 or int(raw) > MAX_UINT256:
        ctx.problems.add(f"{where}: value", N_("%(value)s is not a token amount (a whole "
                                               "number below 2^256)", value=repr(raw[:90])))
        return None
    for column in ("log_index", "block_number"):
        if not _DIGITS.fullmatch(values[column]) or len(values[column]) > 18:
            ctx.problems.add(f"{where}: {column}", N_("%(value)s is not a whole number",
                                                      value=repr(values[column])))
            return None
    return (values["token_address"], values["from_address"], values["to_address"], int(raw),
            values["transaction_hash"], int(values["log_index"]), int(values["block_number"]))


def _flush_unvalued(ctx: Context, rows: list[dict[str, Any]]) -> None:
    """Transfers of tokens without a rate: their amount in the base currency is 0, by
    design (the note says so), so no detector adds unscaled integers to real money."""
    if not rows or ctx.problems:
        rows.clear()
        return
    table = pa.Table.from_pylist(rows)
    rows.clear()
    ts = pc.cast(table.column("ts"), pa.timestamp("us", tz="UTC"))
    table = table.set_column(table.column_names.index("ts"), "ts", ts)
    ctx.writer.write_transactions(table.append_column(
        "amount", pa.array([0.0] * table.num_rows, pa.float64())))


def _time(value: str) -> datetime | None:
    if _DIGITS.fullmatch(value):
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError):  # beyond the years a datetime holds
            return None
    try:
        parsed = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
