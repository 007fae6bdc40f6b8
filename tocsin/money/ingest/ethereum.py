"""Ethereum: the transactions export of ethereum-etl as an account-based transaction set.

``ethereumetl export_blocks_and_transactions`` writes ``transactions.csv`` with
``hash, nonce, block_hash, block_number, transaction_index, from_address,
to_address, value, gas, gas_price, input, block_timestamp, …``. Every
transaction that moves ether becomes one payment from ``from_address`` to
``to_address`` (lower-cased addresses of bank ``ethereum``; their kind is
``unknown``, not ``crypto``, which in a bank set marks an end point where money
leaves for a blockchain), its ``value`` in wei
converted exactly into ether (currency ``ETH``, converted into the base
currency with the rate table). Contract calls without ether are counted in the
notes and left out: they move no money (the tokens they may move are in
another export, not read here). A contract creation pays the new contract,
named ``creation:<hash>`` when the export does not give its address
(``receipt_contract_address``). ``block_timestamp`` may be Unix seconds or a
date and time. The ``txn_id`` is the transaction hash; ``source_line`` the
row's line.

Every bad row is reported with its line and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tocsin.money.ingest.base import Context, accounts_table, flush_transactions

REQUIRED = ("hash", "from_address", "to_address", "value", "block_timestamp")
WEI = Decimal(10) ** 18
_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
_HASH = re.compile(r"^0x[0-9a-f]{64}$")
BLOCK = 50_000


def read(sources: Sequence[Path], ctx: Context) -> None:
    accounts: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    calls = 0
    for path in sources:
        ctx.files.append(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            ctx.problems.add(f"{path.name}: byte offset {exc.start}", "not UTF-8 text")
            continue
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            ctx.problems.add(f"{path.name}:1", f"missing column(s) {', '.join(missing)}; this "
                                               "is not an ethereum-etl transactions export "
                                               f"(the header is {','.join(header)})")
            continue
        for record in reader:
            line = reader.line_num
            where = f"{path.name}:{line}"
            row = _row(record, where, ctx)
            if isinstance(row, str):  # a contract call without ether
                calls += 1
                continue
            if row is None:
                continue
            row.update(source_ref=where, source_file=path.name, source_line=line)
            for account in (row["source"], row["target"]):
                accounts.setdefault(account, {"account_id": account, "kind": "unknown",
                                              "bank": "ethereum"})
            rows.append(row)
            if len(rows) >= BLOCK:
                flush_transactions(ctx, rows)
            if ctx.problems.full:
                return
    flush_transactions(ctx, rows)
    if calls:
        ctx.notes.append(f"{calls} contract call(s) without ether were left out (they move no "
                         "ether)")
    if not ctx.problems:
        ctx.writer.write_accounts(accounts_table(sorted(accounts.values(),
                                                        key=lambda a: a["account_id"])))


def _row(record: dict[str, Any], where: str, ctx: Context) -> dict[str, Any] | str | None:
    txid = (record.get("hash") or "").strip().lower()
    if not _HASH.match(txid):
        ctx.problems.add(f"{where}: hash", f"{txid!r} is not a transaction hash")
        return None
    source = (record.get("from_address") or "").strip().lower()
    target = (record.get("to_address") or "").strip().lower()
    created = (record.get("receipt_contract_address") or "").strip().lower()
    if not target:
        target = created or f"creation:{txid}"
    for column, value in (("from_address", source), ("to_address", target)):
        if not _ADDRESS.match(value) and not value.startswith("creation:"):
            ctx.problems.add(f"{where}: {column}", f"{value!r} is not an Ethereum address")
            return None
    raw = (record.get("value") or "").strip()
    if not raw.isdigit():
        ctx.problems.add(f"{where}: value", f"{raw!r} is not an amount in wei")
        return None
    if int(raw) == 0:
        return "call"
    when = _time((record.get("block_timestamp") or "").strip())
    if when is None:
        ctx.problems.add(f"{where}: block_timestamp",
                         f"{record.get('block_timestamp')!r} is neither Unix seconds nor a "
                         "date and time")
        return None
    return {"txn_id": txid, "ts": when, "source": source, "target": target,
            "amount_orig": float(Decimal(raw) / WEI), "currency_orig": "ETH",
            "channel": "ethereum"}


def _time(value: str) -> datetime | None:
    if value.isdigit():
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError):  # beyond the years a datetime holds
            return None
    try:
        parsed = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
