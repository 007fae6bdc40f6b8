"""bitcoin-etl exports (``bitcoinetl export_blocks_and_transactions``) into the UTXO model.

bitcoin-etl writes one object per line (JSON lines) or one row per line (CSV):

* transactions: ``hash, size, virtual_size, version, lock_time, block_number,
  block_hash, block_timestamp, is_coinbase, index, inputs, outputs, input_count,
  output_count, input_value, output_value, fee``; every input has ``index,
  spent_transaction_hash, spent_output_index, script_asm, script_hex, sequence,
  required_signatures, type, addresses, value`` and every output ``index,
  script_asm, script_hex, required_signatures, type, addresses, value`` (values
  in satoshi). In CSV the ``inputs`` and ``outputs`` cells hold the lists as JSON
  (or as the Python literal a plain CSV writer leaves);
* blocks: ``hash, size, stripped_size, weight, number, version, merkle_root,
  timestamp, nonce, bits, coinbase_param, transaction_count``.

bitcoin-etl drops the coinbase input (``is_coinbase`` is true and ``inputs`` is
empty); the model gets it back as the coinbase input of every other import.
An output's type and address come from its ``script_hex`` with Tocsin's own
classifier; the ``addresses`` bitcoin-etl states must agree with it. Bare
multisig outputs carry the addresses of their keys in ``addresses``: the model
keeps them in ``multisig_keys.parquet``, while the output itself has no address
(as in a raw-block import). bitcoin-etl's made-up ``nonstandard…`` addresses of
outputs without one are not kept. Inputs of an *enriched* export (``value``,
``type``, ``addresses`` filled by ``bitcoinetl enrich_transactions``) keep what
they state, so a set without the spent transactions still knows who paid and
the fee; when the spent output is in the set, both must agree.

The counts and sums an export states (``input_count``, ``output_count``,
``input_value``, ``output_value``, ``fee``) are checked against its lists; a
blocks file, when given, must agree with the block number and time of each of
its transactions. Problems name the file, the line and the JSON path.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tocsin import limits
from tocsin.errors import located
from tocsin.i18n import N_, N_plural, Number
from tocsin.limits import TooLarge
from tocsin.money.crypto import bitcoin as btc
from tocsin.money.crypto import utxo
from tocsin.money.ingest.base import json_decimal

if TYPE_CHECKING:
    from tocsin.money.ingest.base import Context
    from tocsin.money.ingest.bitcoin import _Rows

MULTISIG_KEYS_FILE = "multisig_keys.parquet"
#: bitcoin-etl's (Bitcoin Core's) script type names, and Tocsin's.
TYPES = {
    "pubkey": "p2pk", "pubkeyhash": "p2pkh", "scripthash": "p2sh", "multisig": "multisig",
    "nulldata": "op_return", "nonstandard": "nonstandard", "witness_v0_keyhash": "p2wpkh",
    "witness_v0_scripthash": "p2wsh", "witness_v1_taproot": "p2tr",
    "witness_unknown": "witness_unknown",
}
TRANSACTION_FIELDS = ("hash", "size", "virtual_size", "version", "lock_time", "block_number",
                      "block_hash", "block_timestamp", "is_coinbase", "index", "inputs",
                      "outputs", "input_count", "output_count", "input_value", "output_value",
                      "fee", "type")
BLOCK_FIELDS = ("hash", "size", "stripped_size", "weight", "number", "version", "merkle_root",
                "timestamp", "nonce", "bits", "coinbase_param", "transaction_count", "type",
                "transactions")
INPUT_FIELDS = ("index", "spent_transaction_hash", "spent_output_index", "script_asm",
                "script_hex", "sequence", "required_signatures", "type", "addresses", "value")
OUTPUT_FIELDS = ("index", "script_asm", "script_hex", "required_signatures", "type",
                 "addresses", "value")
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")
#: ASCII digits only: isdigit() takes "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]+")
#: A CSV cell holding a list of inputs or outputs is read only up to this size.
MAX_CELL = 8_000_000


def looks_like(head: bytes) -> bool:
    """Whether the first bytes of a file are a bitcoin-etl export (JSON lines or CSV)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    first = text.split("\n", 1)[0]
    if first.startswith("{"):
        return '"spent_transaction_hash"' in text or '"is_coinbase"' in first \
            or ('"transaction_count"' in first and '"merkle_root"' in first)
    header = {c.strip() for c in first.split(",")}
    return {"hash", "block_timestamp", "inputs", "outputs"} <= header \
        or {"hash", "number", "timestamp", "merkle_root", "transaction_count"} <= header


class _Bad(Exception):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(located(path, reason))


class _OtherCoin(_Bad):
    """An export of another coin: said once for the file, whose other lines are not read."""


#: Coins bitcoin-etl also exports, by their P2PKH and P2SH version bytes and Bech32 prefix
#: (None: the coin has no SegWit addresses).
OTHER_COINS: dict[str, tuple[int, int, str | None]] = {
    "Litecoin": (0x30, 0x32, "ltc"),
    "Dogecoin": (0x1E, 0x16, None),
    "Dash": (0x4C, 0x10, None),
}
#: Bitcoin Cash's CashAddr prefixes.
CASHADDR = ("bitcoincash:", "bchtest:", "bchreg:")


@dataclass
class EtlState:
    """What the export's transactions and blocks files said about each block, to compare."""

    #: block hash -> (number, timestamp, transactions seen, where first seen)
    seen: dict[str, list[Any]] = field(default_factory=dict)
    #: block hash -> (number, timestamp, transaction_count, where)
    blocks: dict[str, tuple[int | None, int, int | None, str]] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)


def read_file(path: Path, data: bytes, rows: _Rows, ctx: Context, skipped: list[str],
              state: EtlState) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ctx.problems.add(f"{path.name}: byte offset {exc.start}", N_("not UTF-8 text"))
        return
    if text.lstrip(" \r\n\t").startswith("{"):
        _read_jsonl(path, text, rows, ctx, skipped, state)
    else:
        _read_csv(path, text, rows, ctx, skipped, state)


def _read_jsonl(path: Path, text: str, rows: _Rows, ctx: Context, skipped: list[str],
                state: EtlState) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            item = json.loads(line, parse_float=json_decimal)
        except json.JSONDecodeError as exc:
            ctx.problems.add(f"{where}: column {exc.colno}", N_("malformed JSON (%(error)s)",
                                                                error=exc.msg))
            continue
        except ValueError as exc:  # a number of more digits than Python converts
            ctx.problems.add(where, N_("not valid JSON (%(error)s)", error=str(exc)))
            continue
        except RecursionError:
            ctx.problems.add(where, N_("JSON nested too deeply"))
            continue
        try:
            _item(item, "$", where, path, rows, ctx, skipped, state)
        except _OtherCoin as exc:
            ctx.problems.add(f"{where}: {exc.path}", exc.reason)
            return
        except _Bad as exc:
            ctx.problems.add(f"{where}: {exc.path}", exc.reason)
        if ctx.problems.full:
            return


def _read_csv(path: Path, text: str, rows: _Rows, ctx: Context, skipped: list[str],
              state: EtlState) -> None:
    csv.field_size_limit(MAX_CELL)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        ctx.problems.add(f"{path.name}:1", N_("not CSV (%(error)s)", error=str(exc)))
        return
    is_block = "transaction_count" in header and "inputs" not in header
    known = BLOCK_FIELDS if is_block else TRANSACTION_FIELDS
    unknown = [c for c in header if c not in known]
    if unknown:
        ctx.problems.add(f"{path.name}:1", N_plural(
            "unknown column %(columns)s for a bitcoin-etl blocks export",
            "unknown columns %(columns)s for a bitcoin-etl blocks export", len(unknown),
            columns=", ".join(unknown)) if is_block else N_plural(
            "unknown column %(columns)s for a bitcoin-etl transactions export",
            "unknown columns %(columns)s for a bitcoin-etl transactions export", len(unknown),
            columns=", ".join(unknown)))
        return
    try:
        for record in reader:
            where = f"{path.name}:{reader.line_num}"
            if None in record:
                ctx.problems.add(where, N_("more cells than the header has columns"))
                continue
            try:
                item: dict[str, Any] = {k: (v if v != "" else None) for k, v in record.items()}
                for key in ("inputs", "outputs"):
                    if key in item:
                        item[key] = _cell_list(item[key], key)
                item["type"] = "block" if is_block else "transaction"
                _item(item, "", where, path, rows, ctx, skipped, state)
            except _OtherCoin as exc:
                ctx.problems.add(f"{where}: {exc.path.lstrip('.')}", exc.reason)
                return
            except _Bad as exc:
                ctx.problems.add(f"{where}: {exc.path.lstrip('.')}", exc.reason)
            if ctx.problems.full:
                return
    except csv.Error as exc:
        ctx.problems.add(f"{path.name}:{reader.line_num}", N_("not valid CSV (%(error)s)",
                                                              error=str(exc)))


def _cell_list(value: str | None, key: str) -> list[Any]:
    """A list of inputs or outputs serialised in a CSV cell: JSON, or a Python literal."""
    if value is None:
        return []
    try:
        parsed = json.loads(value, parse_float=json_decimal)
    except ValueError:  # malformed, or a number of more digits than Python converts
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise _Bad(key, N_("neither a JSON list nor a list literal")) from None
    except RecursionError:
        raise _Bad(key, N_("nested too deeply")) from None
    if not isinstance(parsed, list):
        raise _Bad(key, N_("expected a list"))
    return parsed


def _item(item: Any, at: str, where: str, path: Path, rows: _Rows, ctx: Context,
          skipped: list[str], state: EtlState) -> None:
    if not isinstance(item, dict):
        raise _Bad(at or "line", N_("expected an object (a transaction or a block)"))
    kind = item.get("type")
    if kind is None:
        kind = "transaction" if "inputs" in item or "outputs" in item else \
            "block" if "transaction_count" in item else None
    if kind == "block":
        _block(item, at, where, state)
    elif kind == "transaction":
        _transaction(item, at, where, path, rows, ctx, skipped, state)
    else:
        raise _Bad(f"{at}.type", N_("%(value)s: neither a transaction nor a block of "
                                    "bitcoin-etl", value=repr(kind)))


def _block(item: dict[str, Any], at: str, where: str, state: EtlState) -> None:
    for key in item:
        if key not in BLOCK_FIELDS:
            raise _Bad(f"{at}.{key}", N_("unknown field of a bitcoin-etl block"))
    block_hash = _hash(item.get("hash"), f"{at}.hash")
    number = _int(item.get("number"), f"{at}.number", optional=True)
    when = _timestamp(item.get("timestamp"), f"{at}.timestamp")
    count = _int(item.get("transaction_count"), f"{at}.transaction_count", optional=True)
    known = state.blocks.get(block_hash)
    if known is not None and known[:3] != (number, when, count):
        raise _Bad(at or "line", N_("block %(block)s is given twice with different fields "
                                    "(first at %(first)s)", block=block_hash, first=known[3]))
    state.blocks[block_hash] = (number, when, count, where)


def _transaction(item: dict[str, Any], at: str, where: str, path: Path, rows: _Rows,
                 ctx: Context, skipped: list[str], state: EtlState) -> None:
    for key in item:
        if key not in TRANSACTION_FIELDS:
            raise _Bad(f"{at}.{key}", N_("unknown field of a bitcoin-etl transaction"))
    txid = _hash(item.get("hash"), f"{at}.hash")
    block_hash = item.get("block_hash")
    if block_hash is not None:
        block_hash = _hash(block_hash, f"{at}.block_hash")
    height = _int(item.get("block_number"), f"{at}.block_number", optional=True)
    when = _timestamp(item.get("block_timestamp"), f"{at}.block_timestamp")
    inputs = item.get("inputs") if item.get("inputs") is not None else []
    # older bitcoin-etl exports have no is_coinbase (its Dogecoin test data): their
    # coinbases are the transactions without inputs, as it leaves the coinbase input out
    coinbase = _bool(item["is_coinbase"], f"{at}.is_coinbase") \
        if item.get("is_coinbase") is not None else inputs == []
    outputs = item.get("outputs")
    if not isinstance(inputs, list):
        raise _Bad(f"{at}.inputs", N_("expected a list of inputs"))
    if not isinstance(outputs, list) or not outputs:
        raise _Bad(f"{at}.outputs", N_("expected a non-empty list of outputs"))
    if coinbase and inputs:
        raise _Bad(f"{at}.inputs", N_("a coinbase transaction whose inputs are listed: "
                                      "bitcoin-etl leaves the coinbase input out"))
    if not coinbase and not inputs:
        raise _Bad(f"{at}.inputs", N_("a transaction without inputs that is not a coinbase"))
    ins = [_input(v, f"{at}.inputs[{i}]", i) for i, v in enumerate(inputs)]
    outs = [_output(v, f"{at}.outputs[{i}]", i, ctx) for i, v in enumerate(outputs)]
    _check_sums(item, at, coinbase, ins, outs)
    if txid in rows.txids:
        skipped.append(f"transaction {txid}")
        return
    rows.txids.add(txid)
    rows.count += 1
    most = limits.active().max_rows
    if rows.count > most:
        raise TooLarge.single(path.name, N_("more than %(most)s transactions; the limit is set "
                                            "by TOCSIN_IMPORT_MAX_ROWS", most=Number(most)))
    if block_hash is not None:
        seen = state.seen.setdefault(block_hash, [height, when, 0, where])
        if (seen[0], seen[1]) != (height, when):
            raise _Bad(f"{at}.block_timestamp", N_(
                "block %(block)s has number %(number)s and time %(time)s at %(where)s, here "
                "%(here_number)s and %(here_time)s", block=block_hash, number=seen[0],
                time=seen[1], where=seen[3], here_number=height, here_time=when))
        seen[2] += 1
    rows.add(utxo.TRANSACTIONS_FILE, {
        "txid": txid, "block_hash": block_hash, "height": height,
        "time": datetime.fromtimestamp(when, UTC), "seq": rows.seq, "coinbase": coinbase,
        "input_count": max(len(ins), 1), "output_count": len(outs),
        "output_value": sum(o["value"] for o in outs), "fee": None,
        "size": _int(item.get("size"), f"{at}.size", optional=True),
        "source_file": path.name, "source_ref": where,
    })
    rows.seq += 1
    if coinbase:
        rows.add(utxo.INPUTS_FILE, {"txid": txid, "vin": 0, "prev_txid": None,
                                    "prev_vout": None, "coinbase": True,
                                    "sequence": None, "witness_items": None})
    for vin, txin in enumerate(ins):
        rows.add(utxo.INPUTS_FILE, {"txid": txid, "vin": vin, **txin})
    for vout, out in enumerate(outs):
        keys, required = out.pop("keys"), out.pop("required")
        rows.add(utxo.OUTPUTS_FILE, {"txid": txid, "vout": vout, **out})
        for address in keys:
            state.keys.append({"txid": txid, "vout": vout, "address": address,
                               "required_signatures": required})


def _check_entry(value: Any, at: str, index: int, kind: str, fields: tuple[str, ...]) -> None:
    """An input or output object: only the export's own fields, at its own index."""
    if not isinstance(value, dict):
        raise _Bad(at, N_("expected an input object") if kind == "input" else
                   N_("expected an output object"))
    for key in value:
        if key not in fields:
            raise _Bad(f"{at}.{key}", N_("unknown field of a bitcoin-etl input")
                       if kind == "input" else N_("unknown field of a bitcoin-etl output"))
    if value.get("index", index) != index and _int(value.get("index"), f"{at}.index") != index:
        raise _Bad(f"{at}.index", N_("%(kind)s %(index)s where %(expected)s was expected",
                                     kind=kind, index=repr(value.get("index")),
                                     expected=index))


def _input(value: Any, at: str, index: int) -> dict[str, Any]:
    _check_entry(value, at, index, "input", INPUT_FIELDS)
    prev = _hash(value.get("spent_transaction_hash"), f"{at}.spent_transaction_hash")
    vout = _int(value.get("spent_output_index"), f"{at}.spent_output_index")
    sequence = _int(value.get("sequence"), f"{at}.sequence", optional=True)
    amount = _int(value.get("value"), f"{at}.value", optional=True)
    if amount is not None and amount > 21_000_000 * utxo.SATOSHI:
        raise _Bad(f"{at}.value", N_("%(amount)s satoshi exceeds the 21 million bitcoin "
                                     "supply", amount=amount))
    stated = _type(value.get("type"), f"{at}.type")
    addresses = _addresses(value.get("addresses"), f"{at}.addresses")
    real = [a for a in addresses if not a.startswith("nonstandard")]
    return {"prev_txid": prev, "prev_vout": vout, "coinbase": False, "sequence": sequence,
            "witness_items": None, "value": amount,
            "script_type": (stated or "nonstandard") if amount is not None else None,
            "address": real[0] if amount is not None and len(real) == 1
            and stated != "multisig" else None}


def _output(value: Any, at: str, index: int, ctx: Context) -> dict[str, Any]:
    _check_entry(value, at, index, "output", OUTPUT_FIELDS)
    _refuse_other_coin(value, at)
    amount = _int(value.get("value"), f"{at}.value")
    assert amount is not None
    if amount > 21_000_000 * utxo.SATOSHI:
        raise _Bad(f"{at}.value", N_("%(amount)s satoshi exceeds the 21 million bitcoin "
                                     "supply", amount=amount))
    stated_type = _type(value.get("type"), f"{at}.type")
    addresses = _addresses(value.get("addresses"), f"{at}.addresses")
    real = [a for a in addresses if not a.startswith("nonstandard")]
    required = _int(value.get("required_signatures"), f"{at}.required_signatures",
                    optional=True)
    script_hex = value.get("script_hex")
    network = str(ctx.options.get("network", "mainnet"))
    if script_hex is not None:
        if not isinstance(script_hex, str):
            raise _Bad(f"{at}.script_hex", N_("expected hexadecimal text"))
        try:
            script = bytes.fromhex(script_hex)
        except ValueError:
            raise _Bad(f"{at}.script_hex", N_("not hexadecimal")) from None
        kind, address = btc.classify(script, network)
        if address is not None and real and real != [address]:
            raise _Bad(f"{at}.addresses", N_(
                "%(addresses)s differs from the address its script gives (%(address)s; is the "
                "network %(network)s right?)", addresses=", ".join(real), address=address,
                network=network))
        if kind == "multisig" and stated_type not in (None, "multisig", "nonstandard"):
            raise _Bad(f"{at}.type", N_("the script is a bare multisig, not %(type)s",
                                        type=str(value.get("type"))))
        script_text: str | None = script.hex()
    else:
        # without the script, the stated type and single address are all there is
        kind = stated_type or "nonstandard"
        address = real[0] if len(real) == 1 and kind != "multisig" else None
        script_text = None
    keys = real if kind == "multisig" else []
    return {"value": amount, "script_type": kind, "address": address, "script": script_text,
            "keys": keys, "required": required}


def _refuse_other_coin(value: dict[str, Any], at: str) -> None:
    """Refuse an output whose stated address is one of another coin bitcoin-etl exports.

    Its script would give a Bitcoin address the coin's holders never used, and its
    amounts are not bitcoin.
    """
    stated = value.get("addresses")
    if not isinstance(stated, list) or not stated:
        return
    coin = None
    if any(isinstance(a, str) and a.lower().startswith(CASHADDR) for a in stated):
        coin = "Bitcoin Cash"
    elif isinstance(value.get("script_hex"), str):
        try:
            script = bytes.fromhex(value["script_hex"])
        except ValueError:
            return  # named by the script check
        for name, params in OTHER_COINS.items():
            if _address_as(script, params) in stated:
                coin = name
                break
    if coin is not None:
        raise _OtherCoin(f"{at}.addresses", N_(
            "%(address)s is a %(coin)s address: this is a bitcoin-etl export of %(coin)s, and "
            "the platform reads Bitcoin only (the amounts would be taken for bitcoin)",
            address=str(stated[0]), coin=coin))


def _address_as(script: bytes, params: tuple[int, int, str | None]) -> str | None:
    """The address another coin gives a script, where its kind has one."""
    p2pkh, p2sh, hrp = params
    kind, _ = btc.classify(script)
    if kind == "p2pkh":
        return btc.base58check(p2pkh, script[3:23])
    if kind == "p2sh":
        return btc.base58check(p2sh, script[2:22])
    if kind == "p2pk":
        return btc.base58check(p2pkh, btc.hash160(script[1:-1]))
    if kind in ("p2wpkh", "p2wsh", "p2tr", "witness_unknown") and hrp is not None:
        version = 0 if script[0] == 0 else script[0] - 0x50
        return btc.segwit_address(hrp, version, script[2:])
    return None


def _check_sums(item: dict[str, Any], at: str, coinbase: bool, ins: list[dict[str, Any]],
                outs: list[dict[str, Any]]) -> None:
    for key, count in (("input_count", len(ins)), ("output_count", len(outs))):
        stated = _int(item.get(key), f"{at}.{key}", optional=True)
        if stated is not None and stated != count:
            raise _Bad(f"{at}.{key}", N_("states %(stated)s, the list holds %(count)s",
                                         stated=stated, count=count))
    out_value = sum(o["value"] for o in outs)
    stated_out = _int(item.get("output_value"), f"{at}.output_value", optional=True)
    if stated_out is not None and stated_out != out_value:
        raise _Bad(f"{at}.output_value", N_("states %(stated)s, the outputs add up to "
                                            "%(total)s", stated=stated_out, total=out_value))
    values = [i["value"] for i in ins]
    in_value = sum(v for v in values if v is not None) if all(
        v is not None for v in values) and not coinbase else None
    stated_in = _int(item.get("input_value"), f"{at}.input_value", optional=True)
    if in_value is not None and stated_in is not None and stated_in != in_value:
        raise _Bad(f"{at}.input_value", N_("states %(stated)s, the inputs add up to %(total)s",
                                           stated=stated_in, total=in_value))
    fee = _int(item.get("fee"), f"{at}.fee", optional=True, signed=True)
    if in_value is not None and fee is not None and fee != in_value - out_value:
        raise _Bad(f"{at}.fee", N_("states %(stated)s, inputs minus outputs is %(total)s",
                                   stated=fee, total=in_value - out_value))
    if in_value is not None and in_value < out_value:
        raise _Bad(f"{at}.inputs", N_("spends %(amount)s satoshi less than it pays out",
                                      amount=out_value - in_value))


def _hash(value: Any, at: str) -> str:
    if not isinstance(value, str) or not _HASH.match(value):
        raise _Bad(at, N_("missing") if value is None else
                   N_("%(value)s is not a 64-digit hash", value=repr(value)))
    return value.lower()


def _int(value: Any, at: str, optional: bool = False, signed: bool = False) -> int | None:
    if value is None:
        if optional:
            return None
        raise _Bad(at, N_("missing"))
    if isinstance(value, bool):
        raise _Bad(at, N_("%(value)s is not a whole number", value=repr(value)))
    if isinstance(value, (str, Decimal)):
        text = str(value).strip()
        body = text[1:] if signed and text.startswith("-") else text
        whole = body.split(".", 1)
        if not _DIGITS.fullmatch(whole[0]) or len(text) > 40 or (
                len(whole) == 2 and whole[1].strip("0") != ""):
            raise _Bad(at, N_("%(value)s is not a whole number", value=repr(value)))
        value = int(text.split(".", 1)[0])
    if not isinstance(value, int) or (value < 0 and not signed):
        raise _Bad(at, N_("%(value)s is not a whole number", value=repr(value)))
    if abs(value) >= 2**63:
        raise _Bad(at, N_("%(value)s is out of range", value=value))
    return value


def _bool(value: Any, at: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Bad(at, N_("%(value)s is neither true nor false", value=repr(value)))


def _timestamp(value: Any, at: str) -> int:
    """Unix seconds, or the date and time BigQuery's copy of the export gives."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value.strip()):
        try:
            parsed = datetime.fromisoformat(value.strip().replace(" UTC", "+00:00"))
        except ValueError:
            raise _Bad(at, f"{value!r} is neither Unix seconds nor a date and time") from None
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())
    seconds = _int(value, at)
    assert seconds is not None
    if seconds > 253_402_300_799:  # 9999-12-31
        raise _Bad(at, f"{seconds} is beyond any date")
    return seconds


def _type(value: Any, at: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in TYPES:
        raise _Bad(at, f"{value!r} is not a script type bitcoin-etl writes (one of "
                       f"{', '.join(TYPES)})")
    return TYPES[value]


def _addresses(value: Any, at: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # a CSV cell of the flattened export
        value = [a for a in value.split(",") if a]
    if not isinstance(value, list) or not all(isinstance(a, str) and 0 < len(a) <= 100
                                              for a in value):
        raise _Bad(at, "expected a list of addresses")
    return list(value)


def finish(folder: Path, ctx: Context, state: EtlState, rows_seen: int = 0) -> None:
    """Compare the blocks files with the transactions; keep the keys of bare multisig outputs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if state.blocks and not state.seen and not rows_seen:
        ctx.problems.add(", ".join(sorted({w.split(":")[0] for *_, w in state.blocks.values()})),
                         N_("blocks only give times: add the transactions export"))
        return
    for block_hash, (number, when, count, where) in state.blocks.items():
        seen = state.seen.get(block_hash)
        if seen is None:
            ctx.notes.append(N_("block %(block)s (%(where)s) has no transaction in the export",
                                block=block_hash, where=where))
            continue
        if (number is not None and seen[0] is not None and number != seen[0]) or when != seen[1]:
            ctx.problems.add(where, N_(
                "block %(block)s has number %(number)s and time %(time)s; its transactions "
                "(%(where)s) say %(their_number)s and %(their_time)s", block=block_hash,
                number=number, time=when, where=seen[3], their_number=seen[0],
                their_time=seen[1]))
        elif count is not None and count != seen[2]:
            ctx.notes.append(N_plural("block %(block)s holds %(count)s transaction, the export "
                                      "%(exported)s: the set has part of the block",
                                      "block %(block)s holds %(count)s transactions, the export "
                                      "%(exported)s: the set has part of the block", count,
                                      block=block_hash, count=count, exported=seen[2]))
    if state.keys:
        schema = pa.schema([pa.field("txid", pa.string(), nullable=False),
                            pa.field("vout", pa.int64(), nullable=False),
                            pa.field("address", pa.string(), nullable=False),
                            pa.field("required_signatures", pa.int64())])
        pq.write_table(pa.Table.from_pylist(state.keys, schema=schema),
                       folder / MULTISIG_KEYS_FILE, compression="zstd")
