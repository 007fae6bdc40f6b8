"""IBM AMLworld transaction files (``*_Trans.csv``) and their ``*_Patterns.txt``.

The header repeats ``Account`` (``Timestamp,From Bank,Account,To Bank,Account,
Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,
Is Laundering``), so the file is read with explicit column names. Everything is
streamed with ``pyarrow.csv`` and converted with Arrow compute, block by block,
without a Python loop per row.

Mapping onto the canonical layout:

* account id ``bank:account``; ``txn_id`` ``<file stem>:<line>``
* the amount paid in the payment currency is the original amount; the base
  amount uses the rate table (per day when the table is dated)
* ``Payment Format`` becomes ``channel``; ``Is Laundering`` becomes ``label``
* an account that pays or receives Bitcoin, or takes part in a ``Bitcoin``
  payment, is ``crypto``; else one in a ``Cash`` payment is ``cash``; else
  ``unknown`` (AMLworld gives no countries)
* an account is labelled when any of its transactions is laundering
* the patterns file sets ``label_pattern`` on the transactions it lists,
  matched by minute, both accounts and amount paid.

When a block fails to convert (a malformed number, a short row), the file is
read a second time as plain text to name every bad line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tocsin.errors import InputError
from tocsin.money.ingest.base import Context, Problems, TrackedFile, file_size
from tocsin.money.ingest.columns import parse_float, parse_timestamp, report

HEADER = ("Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
          "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
          "Is Laundering")
COLUMNS = ("Timestamp", "From Bank", "From Account", "To Bank", "To Account", "Amount Received",
           "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
           "Is Laundering")
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M"

#: Currency names as AMLworld writes them -> ISO 4217 (``XBT`` for Bitcoin).
CURRENCIES = {
    "US Dollar": "USD", "Euro": "EUR", "Yuan": "CNY", "Bitcoin": "XBT", "UK Pound": "GBP",
    "Rupee": "INR", "Yen": "JPY", "Ruble": "RUB", "Swiss Franc": "CHF",
    "Australian Dollar": "AUD", "Canadian Dollar": "CAD", "Mexican Peso": "MXN",
    "Brazil Real": "BRL", "Saudi Riyal": "SAR", "Shekel": "ILS",
}
PAYMENT_FORMATS = ("Reinvestment", "Cheque", "Credit Card", "ACH", "Cash", "Wire", "Bitcoin")
PATTERN_TYPES = ("FAN-OUT", "FAN-IN", "CYCLE", "GATHER-SCATTER", "SCATTER-GATHER", "STACK",
                 "BIPARTITE", "RANDOM", "STRUCTURING", "MULE")

BLOCK_SIZE = 4 << 20
_DICT = pa.dictionary(pa.int32(), pa.string())
FAST_TYPES = {
    "Timestamp": pa.string(), "From Bank": pa.string(), "From Account": pa.string(),
    "To Bank": pa.string(), "To Account": pa.string(), "Amount Received": pa.float64(),
    "Receiving Currency": _DICT, "Amount Paid": pa.float64(), "Payment Currency": _DICT,
    "Payment Format": _DICT, "Is Laundering": pa.int8(),
}
_BEGIN = re.compile(r"^BEGIN LAUNDERING ATTEMPT\s*-\s*([A-Z][A-Z-]*)\s*(?::\s*(.*))?$")
_END = re.compile(r"^END LAUNDERING ATTEMPT\b")


class _Unreadable(Exception):
    """The fast reader hit a value it cannot convert; diagnose with the slow reader."""


def split_sources(sources: Sequence[Path], ctx: Context) -> tuple[list[Path], list[Path]]:
    patterns = [Path(p) for p in ctx.options.get("patterns", ()) or ()]
    transactions: list[Path] = []
    for source in sources:
        if source.suffix.lower() == ".txt" or source.name.endswith("_Patterns.txt"):
            patterns.append(source)
        else:
            transactions.append(source)
    if not transactions:
        raise InputError.single(", ".join(map(str, sources)),
                                "no AMLworld transactions file among the sources")
    missing = [p for p in patterns if not p.is_file()]
    if missing:
        raise InputError.single(str(missing[0]), "patterns file not found")
    return transactions, patterns


def read(sources: Sequence[Path], ctx: Context) -> None:
    transactions, pattern_files = split_sources(sources, ctx)
    ctx.files.extend([*transactions, *pattern_files])
    patterns = _read_patterns(pattern_files, ctx.problems)
    currency_codes = _currency_table(ctx)
    accounts = _AccountAccumulator()
    matched = np.zeros(patterns.table.num_rows, dtype=bool)
    for path in transactions:
        _check_header(path)
        try:
            _read_fast(path, ctx, currency_codes, patterns, accounts, matched)
        except (_Unreadable, pa.ArrowInvalid):
            _diagnose(path, ctx, currency_codes)
    if ctx.problems:
        return
    ctx.has_labels = True
    ctx.writer.write_accounts(accounts.finish())
    if patterns.table.num_rows:
        found = int(matched.sum())
        ctx.notes.append(f"{found} of {patterns.table.num_rows} pattern transactions matched "
                         f"({patterns.attempts} laundering attempts)")
        if found < patterns.table.num_rows:
            ctx.notes.append(f"{patterns.table.num_rows - found} pattern transactions are "
                             "not in the transactions file")


def _check_header(path: Path) -> None:
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    names = tuple(c.strip().strip('"') for c in first.split(","))
    if names != HEADER:
        raise InputError.single(f"{path}:1", f"not an AMLworld header; expected "
                                             f"{','.join(HEADER)}")


def _currency_table(ctx: Context) -> dict[str, str]:
    """AMLworld name -> ISO code; option ``currency_names`` adds names of other variants."""
    return {**CURRENCIES, **dict(ctx.options.get("currency_names", {}) or {})}


def _iso(values: pa.Array, names: dict[str, str]) -> pa.Array:
    """Map a dictionary column of AMLworld currency names to ISO codes (null if unknown)."""
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    words = values.dictionary.to_pylist()
    codes = pa.array([names.get(w, w if w in names.values() else None) for w in words],
                     pa.string())
    return pa.DictionaryArray.from_arrays(values.indices, codes)


# -- the fast path ------------------------------------------------------------------------


def _read_fast(path: Path, ctx: Context, names: dict[str, str], patterns: _Patterns,
               accounts: _AccountAccumulator, matched: np.ndarray) -> None:
    read_options = pacsv.ReadOptions(column_names=list(COLUMNS), skip_rows=1,
                                     block_size=BLOCK_SIZE)
    convert = pacsv.ConvertOptions(column_types=FAST_TYPES, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.number or -1)
        return "skip"

    parse = pacsv.ParseOptions(invalid_row_handler=on_invalid)
    line = 2
    with path.open("rb") as raw, ctx.progress.track(f"AMLworld {path.name}",
                                                    file_size(path)) as bar:
        source = TrackedFile(raw, bar) if ctx.progress.enabled else raw
        reader = pacsv.open_csv(source, read_options=read_options, parse_options=parse,
                                convert_options=convert)
        for batch in reader:
            if invalid:
                raise _Unreadable
            _convert(batch, line, path, ctx, names, patterns, accounts, matched)
            line += batch.num_rows
    if invalid:
        raise _Unreadable


def _lines(first: int, n: int) -> pa.Array:
    return pc.cast(pa.array(np.arange(first, first + n, dtype=np.int64)), pa.string())


def _convert(batch: pa.RecordBatch, line: int, path: Path, ctx: Context,
             names: dict[str, str], patterns: _Patterns, accounts: _AccountAccumulator,
             matched: np.ndarray) -> None:
    where = str(path)
    ts, bad_ts = parse_timestamp(batch.column("Timestamp"), TIMESTAMP_FORMAT)
    report(ctx.problems, bad_ts, line, where, "timestamp is not YYYY/MM/DD HH:MM",
           batch.column("Timestamp"))
    paid_iso = _iso(batch.column("Payment Currency"), names)
    recv_iso = _iso(batch.column("Receiving Currency"), names)
    for column, iso in (("Payment Currency", paid_iso), ("Receiving Currency", recv_iso)):
        report(ctx.problems, pc.is_null(iso), line, where, f"unknown {column}",
               batch.column(column))
    paid = batch.column("Amount Paid")
    amount, no_rate = ctx.rates.convert(paid, paid_iso, ts)
    no_rate = pc.and_(no_rate, pc.is_valid(iso_text := pc.cast(paid_iso, pa.string())))
    report(ctx.problems, no_rate, line, where,
           f"no exchange rate into {ctx.base_currency} for", iso_text)
    report(ctx.problems, pc.fill_null(pc.less(paid, 0), True), line, where,
           "Amount Paid is negative or empty", paid)
    for column in ("From Bank", "From Account", "To Bank", "To Account"):
        empty = pc.equal(batch.column(column), "")
        report(ctx.problems, empty, line, where, f"{column} is empty")
    flag = batch.column("Is Laundering")
    report(ctx.problems, pc.invert(pc.is_in(flag, value_set=pa.array([0, 1], pa.int8()))),
           line, where, "Is Laundering must be 0 or 1", flag)
    if ctx.problems:
        return
    n = batch.num_rows
    lines = _lines(line, n)
    source = pc.binary_join_element_wise(batch.column("From Bank"),
                                         batch.column("From Account"), ":")
    target = pc.binary_join_element_wise(batch.column("To Bank"), batch.column("To Account"), ":")
    channel = batch.column("Payment Format")
    label = pc.equal(flag, 1)
    pattern = patterns.match(ts, source, target, paid, matched)
    if pattern is None:
        pattern = pa.nulls(n, pa.string())
    else:
        label = pc.or_(label, pc.is_valid(pattern))
    ctx.writer.write_transactions(pa.table({
        "txn_id": pc.binary_join_element_wise(path.stem, lines, ":"),
        "ts": ts,
        "source": source,
        "target": target,
        "amount": amount,
        "amount_orig": paid,
        "currency_orig": iso_text,
        "channel": pc.cast(channel, pa.string()),
        "label": label,
        "label_pattern": pattern,
        "source_ref": pc.binary_join_element_wise(path.name, lines, ":"),
    }))
    accounts.add(source, target, paid_iso, recv_iso, channel, label, path.name)


class _AccountAccumulator:
    """Collects each account once, with its kind flags and label.

    Hashing the ids of each block (``unique``) is far cheaper than a grouped
    aggregation; the flags are rare, so they are collected from the few rows
    that carry them.
    """

    def __init__(self) -> None:
        self.ids: list[pa.Array] = []
        self.crypto: list[pa.Array] = []
        self.cash: list[pa.Array] = []
        self.labelled: list[pa.Array] = []
        self.names: list[str] = []

    def add(self, source: pa.Array, target: pa.Array, paid_iso: pa.Array, recv_iso: pa.Array,
            channel: pa.Array, label: pa.Array, name: str) -> None:
        self.ids.append(pc.unique(pa.concat_arrays([source, target])))
        fmt = pc.cast(channel, pa.string())
        bitcoin = pc.equal(fmt, "Bitcoin")
        paid_btc = pc.or_(bitcoin, pc.equal(pc.cast(paid_iso, pa.string()), "XBT"))
        recv_btc = pc.or_(bitcoin, pc.equal(pc.cast(recv_iso, pa.string()), "XBT"))
        cash = pc.equal(fmt, "Cash")
        self.crypto += [pc.filter(source, paid_btc), pc.filter(target, recv_btc)]
        self.cash += [pc.filter(source, cash), pc.filter(target, cash)]
        self.labelled += [pc.filter(source, label), pc.filter(target, label)]
        if name not in self.names:
            self.names.append(name)

    def finish(self) -> pa.Table:
        ids = pc.unique(pa.concat_arrays(self.ids)) if self.ids else pa.array([], pa.string())
        self.ids = []

        def member(parts: list[pa.Array]) -> pa.Array:
            found = pc.unique(pa.concat_arrays(parts)) if parts else pa.array([], pa.string())
            return pc.is_in(ids, value_set=found)

        crypto, cash, label = member(self.crypto), member(self.cash), member(self.labelled)
        kind = pc.if_else(crypto, "crypto", pc.if_else(cash, "cash", "unknown"))
        bank = pc.list_element(pc.split_pattern(ids, ":", max_splits=1), 0)
        ref = ", ".join(self.names)
        return pa.table({"account_id": ids, "bank": bank, "kind": kind, "label": label,
                         "source_ref": pa.repeat(pa.scalar(ref, pa.string()), len(ids))})


# -- patterns -------------------------------------------------------------------------------


@dataclass
class _Patterns:
    table: pa.Table  # ts, source, target, cents, pattern, row
    attempts: int

    def match(self, ts: pa.Array, source: pa.Array, target: pa.Array, paid: pa.Array,
              matched: np.ndarray) -> pa.Array | None:
        """``label_pattern`` for a block: the pattern of each listed transaction, else null."""
        if not self.table.num_rows:
            return None
        n = len(ts)
        candidate = pc.is_in(source, value_set=self.table.column("source"))
        positions = pc.indices_nonzero(candidate)
        result = pa.nulls(n, pa.string())
        if not len(positions):
            return result
        block = pa.table({
            "ts": pc.take(ts, positions), "source": pc.take(source, positions),
            "target": pc.take(target, positions), "cents": _cents(pc.take(paid, positions)),
            "pos": positions,
        })
        joined = block.join(self.table, keys=["ts", "source", "target", "cents"],
                            join_type="inner")
        if not joined.num_rows:
            return result
        matched[joined.column("row").to_numpy()] = True
        pos = joined.column("pos").to_numpy()
        names = joined.column("pattern").to_pylist()
        values: list[str | None] = [None] * n
        for p, name in zip(pos.tolist(), names, strict=True):
            values[p] = name
        return pa.array(values, pa.string())


def _cents(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.cast(pc.round(pc.multiply(values, 100.0)), pa.int64())


def _read_patterns(paths: Sequence[Path], problems: Problems) -> _Patterns:
    rows: dict[str, list[object]] = {k: [] for k in ("ts", "source", "target", "paid",
                                                     "pattern", "where")}
    attempts = 0
    for path in paths:
        current: str | None = None
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                text = raw.strip()
                where = f"{path}:{number}"
                if not text:
                    continue
                begin = _BEGIN.match(text)
                if begin:
                    if current is not None:
                        problems.add(where, "BEGIN inside an unfinished laundering attempt")
                    current = begin.group(1)
                    attempts += 1
                    if current not in PATTERN_TYPES:
                        problems.add(where, f"unknown pattern type {current!r}")
                    continue
                if _END.match(text):
                    if current is None:
                        problems.add(where, "END without a BEGIN")
                    current = None
                    continue
                if current is None:
                    problems.add(where, "transaction line outside a laundering attempt")
                    continue
                fields = [f.strip() for f in text.split(",")]
                if len(fields) != len(COLUMNS):
                    problems.add(where, f"expected {len(COLUMNS)} fields, found {len(fields)}")
                    continue
                rows["ts"].append(fields[0])
                rows["source"].append(f"{fields[1]}:{fields[2]}")
                rows["target"].append(f"{fields[3]}:{fields[4]}")
                rows["paid"].append(fields[7])
                rows["pattern"].append(current)
                rows["where"].append(where)
        if current is not None:
            problems.add(f"{path}:end", f"laundering attempt {current} is not closed")
    text = pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})
    ts, bad_ts = parse_timestamp(text.column("ts").combine_chunks(), TIMESTAMP_FORMAT)
    paid, bad_paid = parse_float(text.column("paid").combine_chunks())
    wheres = text.column("where").combine_chunks()
    for bad, reason in ((bad_ts, "timestamp is not YYYY/MM/DD HH:MM"),
                        (bad_paid, "Amount Paid is not a number")):
        for pos in pc.indices_nonzero(bad).to_pylist():
            problems.add(str(wheres[pos]), reason)
    table = pa.table({
        "ts": ts, "source": text.column("source"), "target": text.column("target"),
        "cents": _cents(paid), "pattern": text.column("pattern"),
        "row": pa.array(np.arange(text.num_rows, dtype=np.int64)),
    })
    # a transaction listed twice keeps its first pattern
    table = table.group_by(["ts", "source", "target", "cents"]).aggregate(
        [("row", "min")]).rename_columns({"row_min": "row"})
    table = table.join(pa.table({"row": pa.array(np.arange(text.num_rows, dtype=np.int64)),
                                 "pattern": text.column("pattern")}), keys="row")
    return _Patterns(table=table, attempts=attempts)


# -- the slow path that names every bad line --------------------------------------------------


def _diagnose(path: Path, ctx: Context, names: dict[str, str]) -> None:
    """Read the file again as text, single-threaded, to locate every bad value."""
    short: list[tuple[int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        short.append((row.number or 0, row.actual_columns))
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=list(COLUMNS), skip_rows=1,
                                       block_size=BLOCK_SIZE, use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS}),
    )
    where = str(path)
    row = 0
    for batch in reader:
        line_of = _line_mapper(short)
        for column in ("Amount Paid", "Amount Received"):
            _, bad = parse_float(batch.column(column))
            _report_mapped(ctx.problems, bad, row, line_of, where, f"{column} is not a number",
                           batch.column(column))
        flag = pc.utf8_trim_whitespace(batch.column("Is Laundering"))
        bad = pc.invert(pc.is_in(flag, value_set=pa.array(["0", "1"])))
        _report_mapped(ctx.problems, bad, row, line_of, where, "Is Laundering is not 0 or 1",
                       batch.column("Is Laundering"))
        _, bad = parse_timestamp(batch.column("Timestamp"), TIMESTAMP_FORMAT)
        _report_mapped(ctx.problems, bad, row, line_of, where,
                       "timestamp is not YYYY/MM/DD HH:MM", batch.column("Timestamp"))
        for column in ("Payment Currency", "Receiving Currency"):
            bad = pc.is_null(_iso(batch.column(column), names))
            _report_mapped(ctx.problems, bad, row, line_of, where, f"unknown {column}",
                           batch.column(column))
        row += batch.num_rows
    for number, found in short:
        ctx.problems.add(f"{where}:{number}" if number else where,
                         f"expected {len(COLUMNS)} fields, found {found}")
    if not ctx.problems:
        ctx.problems.add(where, "the file could not be read as AMLworld CSV")


def _line_mapper(short: list[tuple[int, int]]) -> Callable[[int], int]:
    """Line number of the n-th well-formed data row, given the skipped short rows."""
    skipped = sorted(n for n, _ in short if n)

    def line_of(index: int) -> int:
        line = index + 2
        for s in skipped:
            if s <= line:
                line += 1
        return line

    return line_of


def _report_mapped(problems: Problems, bad: pa.Array, first_row: int,
                   line_of: Callable[[int], int], where: str, reason: str,
                   values: pa.Array) -> None:
    for pos in pc.indices_nonzero(bad).to_pylist():
        problems.add(f"{where}:{line_of(first_row + pos)}", f"{reason}: {values[pos].as_py()!r}")
