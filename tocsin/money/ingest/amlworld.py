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
* ``Payment Format`` becomes ``channel``; ``Is Laundering`` becomes ``label`` (0 or 1,
  or ``False`` or ``True`` as pandas writes a column it read as booleans)
* ``source_file`` is the file's name and ``source_line`` the row's 1-based line
* an account that pays or receives Bitcoin, or takes part in a ``Bitcoin``
  payment, is ``crypto``; a bank's cash desk is ``cash``; every other account
  is ``unknown`` (AMLworld gives no countries). People and firms who deposit
  or withdraw cash keep their kind: they are account holders, and graph
  detectors must see them. A cash desk is an account that takes part only in
  ``Cash`` payments, with at least ``cash_desk_counterparties`` (option,
  default 10) other accounts
* an account is labelled when any of its transactions is laundering
* the patterns file sets ``label_pattern`` on the transactions it lists,
  matched by minute, both accounts and amount paid; an attempt of a type this
  importer does not know is kept under its own name and noted in the report.

Blocks of the file are parsed by Arrow's reader and converted on every core
(Arrow compute releases the interpreter lock); they are written in file order.
The accounts are found once, at the end, by one parallel aggregation in DuckDB
over the ids collected from every block (each id is hashed once).

The fast path only notices that a block holds a bad value; the file is then
read a second time as plain text to name every bad line.

Files as others write them (pandas copies, a byte order mark, empty lines, rows
repeated exactly, markers with and without a detail) and what is done with each:
docs/money-ingest.md, "Files as others write them".
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.money.ingest.base import (
    INDEX_NAMES,
    Context,
    FewLines,
    Problems,
    RowRepeats,
    csv_batches,
    empty_lines_note,
    file_size,
    index_column_note,
    mix_keys,
    repeats_note,
    some_places,
)
from tocsin.money.ingest.columns import parse_float, parse_timestamp

HEADER = ("Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
          "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
          "Is Laundering")
COLUMNS = ("Timestamp", "From Bank", "From Account", "To Bank", "To Account", "Amount Received",
           "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
           "Is Laundering")
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M"
#: AMLworld's layout with seconds, as generators that copy it write it ("2026/01/02 14:16:00")
SECONDS_TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"
BAD_TIMESTAMP = N_("timestamp is neither YYYY/MM/DD HH:MM (seconds may follow) nor "
                   "YYYY-MM-DD HH:MM:SS")
#: How pandas writes the timestamps back when it parsed them (``parse_dates``).
PANDAS_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The header of the release's third file, ``*_accounts.csv`` (not imported).
ACCOUNTS_HEADER = ("Bank Name", "Bank ID", "Account Number", "Entity ID", "Entity Name")
#: The start of the file Multi-GNN (IBM/Multi-GNN, ``format_kaggle_files.py``) makes of an
#: AMLworld file: numbered accounts, currencies and formats; not an AMLworld file any more.
MULTI_GNN_HEADER = "EdgeID,from_id,to_id,Timestamp,"
#: ``Is Laundering`` as the release writes it (0/1), and as pandas writes it back once read
#: as booleans: what the fast reader takes for each answer, and all the diagnosis accepts.
TRUE_VALUES = ("1", "True", "true", "TRUE")
FALSE_VALUES = ("0", "False", "false", "FALSE")

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
    "Payment Format": _DICT, "Is Laundering": pa.bool_(),
}
#: Accounts that only ever take part in cash payments, with at least this many other
#: accounts, are a bank's cash desk (option ``cash_desk_counterparties``).
CASH_DESK_COUNTERPARTIES = 10
# The real files write ``BEGIN LAUNDERING ATTEMPT - FAN-OUT:  Max 16-degree Fan-Out`` and
# ``BEGIN LAUNDERING ATTEMPT - STACK`` (no detail); END repeats the type, and may carry a detail.
_BEGIN = re.compile(r"^BEGIN LAUNDERING ATTEMPT\b\s*-?\s*([^:]*?)\s*(?::\s*(.*))?$")
_END = re.compile(r"^END LAUNDERING ATTEMPT\b\s*-?\s*([^:]*?)\s*(?::.*)?$")


class _Unreadable(Exception):
    """The fast reader hit a value it cannot convert; diagnose with the slow reader."""


def split_sources(sources: Sequence[Path], ctx: Context) -> tuple[list[Path], list[Path]]:
    patterns = [Path(p) for p in ctx.options.get("patterns", ()) or ()]
    transactions: list[Path] = []
    for source in sources:
        if source.suffix.lower() == ".txt" or source.name.endswith("_Patterns.txt"):
            patterns.append(source)
        elif _first_names(source) == ACCOUNTS_HEADER:
            ctx.notes.append(N_("%(file)s: the AMLworld accounts file (bank names and account "
                                "holders) is not imported; the accounts come from the "
                                "transactions", file=source.name))
        else:
            transactions.append(source)
    if not transactions:
        raise InputError.single(", ".join(map(str, sources)),
                                N_("no AMLworld transactions file among the sources"))
    missing = [p for p in patterns if not p.is_file()]
    if missing:
        raise InputError.single(str(missing[0]), N_("patterns file not found"))
    return transactions, patterns


def read(sources: Sequence[Path], ctx: Context) -> None:
    transactions, pattern_files = split_sources(sources, ctx)
    ctx.files.extend([*transactions, *pattern_files])
    patterns = _read_patterns(pattern_files, ctx.problems, ctx.notes)
    currency_codes = _currency_table(ctx)
    accounts = _AccountAccumulator()
    repeats = RowRepeats()
    # how many transactions each pattern transaction matched
    matched = np.zeros(patterns.count, dtype=np.int64)
    stripped: list[int] = []  # transactions matched once bank codes lost their leading zeros
    for path in transactions:
        lead = _check_header(path)
        if lead:
            ctx.notes.append(index_column_note(path.name))
        try:
            _read_fast(path, ctx, currency_codes, patterns, accounts, repeats, matched,
                       stripped, lead)
        except (_Unreadable, pa.ArrowInvalid, UnicodeDecodeError):
            # a bad value, a row of the wrong length (ArrowInvalid), or text pyarrow could
            # not decode: the slow path names the line
            _diagnose(path, ctx, currency_codes, lead)
    if ctx.problems:
        return
    ctx.has_labels = True
    # first, to let go of its hashes before the accounts are aggregated
    count, places = repeats.finish()
    ctx.writer.write_accounts(accounts.finish(_desk_threshold(ctx)))
    if count:
        ctx.notes.append(repeats_note(count, places))
    if patterns.count:
        found = int(np.count_nonzero(matched))
        ctx.notes.append(N_("%(found)s of %(count)s pattern transactions matched "
                            "(%(attempts)s laundering attempts)", found=found,
                            count=patterns.count, attempts=patterns.attempts))
        if found < patterns.count:
            ctx.notes.append(N_("%(count)s pattern transactions are not in the transactions "
                                "file", count=patterns.count - found))
        if sum(stripped):
            ctx.notes.append(N_("%(count)s transactions matched their pattern transaction only "
                                "once the leading zeros of its bank codes were left out: the "
                                "transactions file was written back by a program that read "
                                "the bank codes as numbers", count=sum(stripped)))
        several = matched > 1
        if several.any():
            # identical rows are separate payments in AMLworld: the listed one cannot be
            # told apart from its copies, so every copy carries the label
            ctx.notes.append(N_("%(count)s pattern transactions each match several identical "
                                "transactions (%(total)s in all); every one of them is "
                                "labelled with the pattern", count=int(several.sum()),
                                total=int(matched[several].sum())))


def _desk_threshold(ctx: Context) -> int:
    value = ctx.options.get("cash_desk_counterparties", CASH_DESK_COUNTERPARTIES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError.single("option cash_desk_counterparties",
                                N_("%(value)s is not a whole number of at least 1",
                                   value=repr(value)))
    return value


def _first_names(path: Path) -> tuple[str, ...]:
    with path.open("rb") as handle:
        first = handle.readline(4096).decode("utf-8", errors="replace")
    return tuple(c.strip().strip('"') for c in first.lstrip("\ufeff").strip().split(","))


def header_layout(line: str) -> int | None:
    """How many index columns precede the AMLworld columns of this header line, or None.

    pandas reads the repeated ``Account`` as ``Account.1`` and, writing the frame back,
    keeps that name and adds its row index as an unnamed first column. Others name the
    two accounts ``From Account`` and ``To Account`` before writing the file again.
    """
    names = [c.strip().strip('"') for c in line.lstrip("\ufeff").strip().split(",")]
    lead = 1 if len(names) == len(HEADER) + 1 and names[0] in INDEX_NAMES else 0
    names = names[lead:]
    if len(names) == len(HEADER) and names[4] == "Account.1":
        names[4] = "Account"
    return lead if tuple(names) in (HEADER, COLUMNS) else None


def is_multi_gnn(first_line: str) -> bool:
    return first_line.lstrip("\ufeff").startswith(MULTI_GNN_HEADER)


def multi_gnn_refusal(where: str) -> InputError:
    """Why a file Multi-GNN formatted is not imported (by any importer or mapping: its
    numbers stand for accounts, currencies and formats only that project's run knew)."""
    return InputError.single(where, N_(
        "Multi-GNN's formatted transactions: accounts, currencies and payment formats "
        "are numbers there and times are seconds; import the *_Trans.csv it was made "
        "from"))


def _check_header(path: Path) -> int:
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8", errors="replace")
    lead = header_layout(first)
    if lead is None and is_multi_gnn(first):
        raise multi_gnn_refusal(f"{path}:1")
    if lead is None:
        raise InputError.single(f"{path}:1", N_("not an AMLworld header; expected %(header)s",
                                                header=",".join(HEADER)))
    return lead


def _read_options(lead: int, **options: object) -> pacsv.ReadOptions:
    """The header is skipped and replaced by unique names; an index column is read, unused."""
    names = [f"index {k}" for k in range(lead)] + list(COLUMNS)
    return pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_SIZE, **options)


def _timestamps(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """AMLworld's timestamps, else with seconds, else as pandas writes them back; the other
    formats are tried only when a value is not in the first (never on a file as IBM wrote
    it)."""
    ts, bad = parse_timestamp(values, TIMESTAMP_FORMAT)
    for fmt in (SECONDS_TIMESTAMP_FORMAT, PANDAS_TIMESTAMP_FORMAT):
        if not pc.any(bad).as_py():
            break
        other, _ = parse_timestamp(values, fmt)
        ts = pc.coalesce(ts, other)
        bad = pc.is_null(ts)
    return ts, bad


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


@dataclass
class _Block:
    """One converted block: its rows in the canonical layout and what the accounts need."""

    table: pa.Table
    source: pa.Array
    target: pa.Array
    lines: np.ndarray
    paid_btc: pa.Array
    recv_btc: pa.Array
    cash: pa.Array
    label: pa.Array
    #: the pattern transaction (its ``row``) of each transaction the patterns label
    matched: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: how many of them matched with the leading zeros of the bank codes left out
    stripped: int = 0
    #: a hash of each row's values, to find rows repeated exactly
    key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    #: lines of the block that hold no value (skipped, and counted in a note)
    blank: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _read_fast(path: Path, ctx: Context, names: dict[str, str], patterns: _Patterns,
               accounts: _AccountAccumulator, repeats: RowRepeats, matched: np.ndarray,
               stripped: list[int], lead: int) -> None:
    read_options = _read_options(lead)
    parse = pacsv.ParseOptions(ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types=FAST_TYPES, include_columns=list(COLUMNS),
                                   true_values=list(TRUE_VALUES),
                                   false_values=list(FALSE_VALUES),
                                   strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    # No invalid-row handler: a row of the wrong length raises ``ArrowInvalid`` and the
    # diagnosis names it (a handler would be given the row decoded as UTF-8, which fails
    # inside pyarrow and prints a traceback when the row is not UTF-8).
    workers = max(1, os.cpu_count() or 1)
    pending: deque[Future[_Block]] = deque()

    blank = FewLines()

    def finish_one() -> None:
        block = pending.popleft().result()
        ctx.writer.write_transactions(block.table)
        accounts.add(block)
        contiguous = len(block.lines) and not len(block.blank)
        repeats.add(block.key, block.source, block.target, path.name,
                    int(block.lines[0]) if contiguous else block.lines)
        np.add.at(matched, block.matched, 1)
        stripped.append(block.stripped)
        blank.add(block.blank)

    line = 2
    with ctx.progress.track(f"AMLworld {path.name}", file_size(path)) as bar, \
            csv_batches(path, bar, read_options=read_options, parse_options=parse,
                        convert_options=convert) as batches, \
            ThreadPoolExecutor(workers, thread_name_prefix="amlworld") as pool:
        try:
            for batch in batches:
                pending.append(pool.submit(_convert, batch, line, path, ctx, names, patterns))
                line += batch.num_rows
                # Blocks are written in file order; a few are converted ahead.
                while len(pending) > workers:
                    finish_one()
            while pending:
                finish_one()
        finally:
            for future in pending:
                future.cancel()
    if blank.count:
        ctx.notes.append(empty_lines_note(path.name, blank))


def _convert(batch: pa.RecordBatch, line: int, path: Path, ctx: Context,
             names: dict[str, str], patterns: _Patterns) -> _Block:
    """Convert one block; any value the diagnosis would report raises :class:`_Unreadable`.

    Empty lines (or rows of empty fields, as spreadsheets save them) are read as rows so
    that the lines after them keep their numbers; they are looked for only when a block
    does not convert, and left out.
    """
    numbers = np.arange(line, line + batch.num_rows, dtype=np.int64)
    try:
        return _convert_rows(batch, numbers, path, ctx, names, patterns)
    except _Unreadable:
        blank = _blank_rows(batch).to_numpy(zero_copy_only=False)
        if not blank.any():
            raise
    block = _convert_rows(batch.filter(pa.array(~blank)), numbers[~blank], path, ctx, names,
                          patterns)
    block.blank = numbers[blank]
    return block


def _blank_rows(batch: pa.RecordBatch) -> pa.Array:
    """Rows whose every field is empty."""
    masks = []
    for column in batch.columns:
        if pa.types.is_boolean(column.type) or pa.types.is_floating(column.type) \
                or pa.types.is_integer(column.type):
            masks.append(pc.is_null(column))
        else:
            masks.append(pc.equal(pc.cast(column, pa.string()), ""))
    blank = masks[0]
    for mask in masks[1:]:
        blank = pc.and_(blank, mask)
    return blank


def _convert_rows(batch: pa.RecordBatch, numbers: np.ndarray, path: Path, ctx: Context,
                  names: dict[str, str], patterns: _Patterns) -> _Block:
    ts, bad_ts = _timestamps(batch.column("Timestamp"))
    paid_iso = _iso(batch.column("Payment Currency"), names)
    recv_iso = _iso(batch.column("Receiving Currency"), names)
    paid = batch.column("Amount Paid")
    amount, no_rate = ctx.rates.convert(paid, paid_iso, ts)
    flag = batch.column("Is Laundering")
    # Arrow reads an empty field, NA, null or NaN as null, and inf or 1e400 as infinite;
    # the diagnosis refuses each of them (_amount_problems), so both amounts must be finite
    bad = [bad_ts, pc.is_null(paid_iso), pc.is_null(recv_iso), no_rate,
           pc.fill_null(pc.less(paid, 0), True),
           pc.invert(pc.fill_null(pc.is_finite(paid), False)),
           pc.invert(pc.fill_null(pc.is_finite(batch.column("Amount Received")), False)),
           pc.is_null(flag)]
    bad += [pc.equal(batch.column(c), "") for c in ("From Bank", "From Account", "To Bank",
                                                    "To Account")]
    if any(pc.any(b).as_py() for b in bad):
        raise _Unreadable
    n = batch.num_rows
    lines = pc.cast(pa.array(numbers), pa.string())
    source = pc.binary_join_element_wise(batch.column("From Bank"),
                                         batch.column("From Account"), ":")
    target = pc.binary_join_element_wise(batch.column("To Bank"), batch.column("To Account"), ":")
    channel = pc.cast(batch.column("Payment Format"), pa.string())
    label = flag
    pattern, matched, stripped = patterns.match(ts, source, target, paid)
    if pattern is None:
        pattern = pa.nulls(n, pa.string())
    else:
        label = pc.or_(label, pc.is_valid(pattern))
    paid_text = pc.cast(paid_iso, pa.string())
    bitcoin = pc.equal(channel, "Bitcoin")
    table = pa.table({
        "txn_id": pc.binary_join_element_wise(path.stem, lines, ":"),
        "ts": ts,
        "source": source,
        "target": target,
        "amount": amount,
        "amount_orig": paid,
        "currency_orig": paid_text,
        "channel": channel,
        "label": label,
        "label_pattern": pattern,
        "source_ref": pc.binary_join_element_wise(path.name, lines, ":"),
        "source_file": pa.repeat(pa.scalar(path.name, pa.string()), n),
        "source_line": pa.array(numbers),
    })
    return _Block(table, source, target, key=_row_keys(batch, ts), lines=numbers,
                  paid_btc=pc.or_(bitcoin, pc.equal(paid_text, "XBT")),
                  recv_btc=pc.or_(bitcoin, pc.equal(pc.cast(recv_iso, pa.string()), "XBT")),
                  cash=pc.equal(channel, "Cash"), label=label, matched=matched,
                  stripped=stripped)


def _row_keys(batch: pa.RecordBatch, ts: pa.Array) -> np.ndarray:
    """A 64-bit hash of every value of each row but the accounts (compared as text later).

    Vectorised: the dictionary columns are hashed once per distinct word.
    """
    parts = [pc.cast(ts, pa.int64()).to_numpy(zero_copy_only=False)]
    parts += [batch.column(c).to_numpy(zero_copy_only=False)
              for c in ("Amount Paid", "Amount Received")]
    for column in ("Payment Currency", "Receiving Currency", "Payment Format"):
        words = batch.column(column)
        codes = np.array([hash(w) for w in words.dictionary.to_pylist()], dtype=np.int64)
        parts.append(codes[words.indices.to_numpy(zero_copy_only=False)])
    parts.append(batch.column("Is Laundering").to_numpy(zero_copy_only=False)
                 .astype(np.int64))
    return mix_keys(parts)


@dataclass
class _AccountAccumulator:
    """Collects every block's account ids and flags; :meth:`finish` aggregates them once.

    The ids are kept as the blocks' own arrays (no copy, no hashing per block).
    The flags are rare, so only the ids that carry them are kept apart: the
    crypto and labelled ones, and the pairs of cash payments (to find the desks).
    """

    ids: list[pa.Array] = field(default_factory=list)
    cash: list[pa.Array] = field(default_factory=list)
    crypto: list[pa.Array] = field(default_factory=list)
    labelled: list[pa.Array] = field(default_factory=list)
    cash_pairs: list[pa.Table] = field(default_factory=list)

    def add(self, block: _Block) -> None:
        self.ids += [block.source, block.target]
        self.cash += [block.cash, block.cash]
        self.crypto += [pc.filter(block.source, block.paid_btc),
                        pc.filter(block.target, block.recv_btc)]
        self.labelled += [pc.filter(block.source, block.label),
                          pc.filter(block.target, block.label)]
        if pc.any(block.cash).as_py():
            self.cash_pairs.append(pa.table({"source": pc.filter(block.source, block.cash),
                                             "target": pc.filter(block.target, block.cash)}))

    def finish(self, desk_counterparties: int) -> pa.Table:
        from tocsin.money.ingest import sql

        def ids(parts: list[pa.Array]) -> pa.Table:
            return pa.table({"id": pa.chunked_array(parts, pa.string())})

        empty = pa.array([], pa.string())
        pairs = pa.concat_tables(self.cash_pairs) if self.cash_pairs else \
            pa.table({"source": empty, "target": empty})
        sides = pa.table({"id": pa.chunked_array(self.ids, pa.string()),
                          "cash": pa.chunked_array(self.cash, pa.bool_())})
        with sql.cursor() as con:
            for name, table in (("sides", sides), ("crypto", ids(self.crypto)),
                                ("labelled", ids(self.labelled)), ("pairs", pairs)):
                con.register(name, table)
            # A desk is found in cash payments with enough others and in no other payment.
            accounts = con.sql("""
                WITH candidates AS (
                  SELECT id FROM (SELECT source AS id, target AS other FROM pairs
                                  UNION ALL SELECT target, source FROM pairs)
                  WHERE id <> other GROUP BY id HAVING count(DISTINCT other) >= ?),
                desks AS (
                  SELECT id FROM candidates EXCEPT
                  SELECT id FROM sides WHERE NOT cash AND id IN (SELECT id FROM candidates)),
                everyone AS (SELECT DISTINCT id FROM sides)
                SELECT e.id AS account_id, split_part(e.id, ':', 1) AS bank,
                       CASE WHEN e.id IN (SELECT id FROM crypto) THEN 'crypto'
                            WHEN e.id IN (SELECT id FROM desks) THEN 'cash'
                            ELSE 'unknown' END AS kind,
                       e.id IN (SELECT id FROM labelled) AS label
                FROM everyone e ORDER BY e.id""", params=[desk_counterparties]).to_arrow_table()
        self.ids, self.cash, self.crypto, self.labelled, self.cash_pairs = [], [], [], [], []
        return accounts


# -- patterns -------------------------------------------------------------------------------


@dataclass
class _Patterns:
    #: ts, source, target, paid, pattern, row, stripped. The amount is compared exactly:
    #: the same text gives the same number, and Bitcoin amounts differ below a cent. A
    #: transaction whose bank codes have leading zeros is in the table a second time
    #: without them (``stripped``), under the same ``row``.
    table: pa.Table
    attempts: int
    #: distinct pattern transactions (``row`` is below it)
    count: int

    def match(self, ts: pa.Array, source: pa.Array, target: pa.Array,
              paid: pa.Array) -> tuple[pa.Array | None, np.ndarray, int]:
        """``label_pattern`` for a block (the pattern of each listed transaction, else null),
        the pattern transaction (``row``) each labelled transaction matched, and how many
        matched without the leading zeros of the bank codes."""
        none = np.zeros(0, np.int64)
        if not self.table.num_rows:
            return None, none, 0
        n = len(ts)
        candidate = pc.is_in(source, value_set=self.table.column("source"))
        positions = pc.indices_nonzero(candidate)
        result = pa.nulls(n, pa.string())
        if not len(positions):
            return result, none, 0
        block = pa.table({
            "ts": pc.take(ts, positions), "source": pc.take(source, positions),
            "target": pc.take(target, positions), "paid": pc.take(paid, positions),
            "pos": positions,
        })
        joined = block.join(self.table, keys=["ts", "source", "target", "paid"],
                            join_type="inner")
        if not joined.num_rows:
            return result, none, 0
        pos = joined.column("pos").to_numpy()
        names = joined.column("pattern").to_pylist()
        values: list[str | None] = [None] * n
        for p, name in zip(pos.tolist(), names, strict=True):
            values[p] = name
        return (pa.array(values, pa.string()), joined.column("row").to_numpy(),
                pc.sum(joined.column("stripped")).as_py() or 0)


def pattern_name(text: str) -> str:
    """``Scatter gather`` and ``SCATTER-GATHER`` are the same type."""
    return "-".join(text.upper().replace("_", " ").replace("-", " ").split())


def _read_patterns(paths: Sequence[Path], problems: Problems, notes: list[str]) -> _Patterns:
    rows: dict[str, list[object]] = {k: [] for k in ("ts", "source", "target", "paid",
                                                     "pattern", "where")}
    attempts = 0
    unknown: dict[str, list[str]] = {}
    empty: list[str] = []
    for path in paths:
        current: str | None = None
        begun = 0  # the line of the current attempt's BEGIN
        listed = 0  # its transactions so far
        # utf-8-sig: a copy re-saved on Windows starts with a byte order mark
        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            for number, raw in enumerate(handle, start=1):
                text = raw.strip()
                where = f"{path}:{number}"
                if not text:
                    continue
                begin = _BEGIN.match(text)
                if begin:
                    if current is not None:
                        problems.add(where, N_("BEGIN inside the laundering attempt begun on "
                                               "line %(line)s, which has no END", line=begun))
                    current = pattern_name(begin.group(1))
                    begun, listed = number, 0
                    attempts += 1
                    if not current:
                        problems.add(where, N_("laundering attempt without a pattern type"))
                    elif current not in PATTERN_TYPES:
                        unknown.setdefault(current, []).append(f"{path.name}:{number}")
                    continue
                end = _END.match(text)
                if end:
                    closing = pattern_name(end.group(1))
                    if current is None:
                        problems.add(where, N_("END without a BEGIN"))
                    elif closing and current and closing != current:
                        problems.add(where, N_("END of a %(end)s attempt closes the %(begin)s "
                                               "attempt begun on line %(line)s",
                                               end=closing, begin=current, line=begun))
                    elif not listed:
                        empty.append(f"{path.name}:{begun}")
                    current = None
                    continue
                if current is None:
                    problems.add(where, N_("transaction line outside a laundering attempt"))
                    continue
                fields = [f.strip() for f in text.split(",")]
                if len(fields) != len(COLUMNS):
                    problems.add(where, N_("expected %(expected)s fields, found %(found)s",
                                           expected=len(COLUMNS), found=len(fields)))
                    continue
                rows["ts"].append(fields[0])
                rows["source"].append(f"{fields[1]}:{fields[2]}")
                rows["target"].append(f"{fields[3]}:{fields[4]}")
                rows["paid"].append(fields[7])
                rows["pattern"].append(current)
                rows["where"].append(where)
                listed += 1
        if current is not None:
            problems.add(f"{path}:{begun}", N_("laundering attempt %(pattern)s is not closed",
                                               pattern=current))
    if empty:
        notes.append(N_("%(count)s laundering attempts list no transaction (%(places)s)",
                        count=len(empty), places=some_places(empty[:3], len(empty))))
    for name, places in sorted(unknown.items()):
        shown = ", ".join(places[:3])
        if len(places) > 3:
            shown = N_("%(places)s and %(count)s more", places=shown, count=len(places) - 3)
        notes.append(N_("unknown pattern type %(name)s (%(count)s attempt, %(places)s): its "
                        "transactions are labelled and their label_pattern is %(pattern)s",
                        name=repr(name), count=len(places), places=shown, pattern=name)
                     if len(places) == 1 else
                     N_("unknown pattern type %(name)s (%(count)s attempts, %(places)s): its "
                        "transactions are labelled and their label_pattern is %(pattern)s",
                        name=repr(name), count=len(places), places=shown, pattern=name))
    text = pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})
    ts, bad_ts = _timestamps(text.column("ts").combine_chunks())
    paid, bad_paid = parse_float(text.column("paid").combine_chunks())
    wheres = text.column("where").combine_chunks()
    for bad, reason in ((bad_ts, BAD_TIMESTAMP),
                        (bad_paid, N_("%(column)s is not a number", column="Amount Paid"))):
        for pos in pc.indices_nonzero(bad).to_pylist():
            problems.add(str(wheres[pos]), reason)
    table = pa.table({
        "ts": ts, "source": text.column("source"), "target": text.column("target"),
        "paid": paid, "pattern": text.column("pattern"),
        "row": pa.array(np.arange(text.num_rows, dtype=np.int64)),
    })
    # a transaction listed twice keeps its first pattern, and the note says where it is again
    key = ["ts", "source", "target", "paid"]
    first = table.group_by(key).aggregate([("row", "min")])
    listed = table.join(first, keys=key)
    again = pc.indices_nonzero(pc.not_equal(listed.column("row"), listed.column("row_min")))
    if len(again):
        later = sorted(zip(pc.take(listed.column("row"), again).to_pylist(),
                           pc.take(listed.column("row_min"), again).to_pylist(), strict=True))
        patterns = text.column("pattern").to_pylist()
        places = [N_("%(place)s (%(pattern)s, kept %(kept)s)",
                     place=Path(str(wheres[row])).name, pattern=patterns[row],
                     kept=patterns[kept]) for row, kept in later[:3]]
        notes.append(N_("%(count)s pattern transactions are listed more than once "
                        "(%(places)s); each keeps the pattern of its first listing",
                        count=len(later), places=some_places(places, len(later))))
    table = first.rename_columns({"row_min": "row"})
    table = table.join(pa.table({"row": pa.array(np.arange(text.num_rows, dtype=np.int64)),
                                 "pattern": text.column("pattern")}), keys="row")
    # number the distinct transactions densely: ``row`` indexes the matched flags
    count = table.num_rows
    table = table.set_column(table.schema.get_field_index("row"), "row",
                             pa.array(np.arange(count, dtype=np.int64)))
    table = table.append_column("stripped", pa.repeat(pa.scalar(False), count))
    return _Patterns(table=pa.concat_tables([table, _without_zeros(table, key)]),
                     attempts=attempts, count=count)


def _without_zeros(table: pa.Table, key: list[str]) -> pa.Table:
    """The transactions again with the leading zeros of their bank codes left out.

    A copy read by pandas without ``dtype=str`` and written back turns bank ``021174``
    into ``21174``; the patterns file keeps the zeros. AMLworld numbers its banks, so
    both are the same bank. Keys the table already has are not added twice.
    """
    def strip(ids: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.replace_substring_regex(ids, pattern=r"^0+([^:])", replacement=r"\1")

    variant = table.set_column(table.schema.get_field_index("source"), "source",
                               strip(table.column("source")))
    variant = variant.set_column(variant.schema.get_field_index("target"), "target",
                                 strip(variant.column("target")))
    changed = pc.or_(pc.not_equal(variant.column("source"), table.column("source")),
                     pc.not_equal(variant.column("target"), table.column("target")))
    variant = variant.filter(changed).join(table.select(key), keys=key, join_type="left anti")
    return variant.set_column(variant.schema.get_field_index("stripped"), "stripped",
                              pa.repeat(pa.scalar(True), variant.num_rows)).select(
        table.column_names)


# -- the slow path that names every bad line --------------------------------------------------


def _diagnose(path: Path, ctx: Context, names: dict[str, str], lead: int) -> None:
    """Read the file again as text, single-threaded, to locate every bad value."""
    # First, because the CSV reader hands a row of the wrong length to its handler as
    # UTF-8 text, and fails inside pyarrow when it is not.
    line = _first_line_not_utf8(path)
    if line is not None:
        ctx.problems.add(f"{path}:{line}", N_("not UTF-8 text"))
        return
    _diagnose_text(path, ctx, names, lead)


def _first_line_not_utf8(path: Path) -> int | None:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _diagnose_text(path: Path, ctx: Context, names: dict[str, str], lead: int) -> None:
    short: list[tuple[int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        short.append((row.number or 0, row.actual_columns))
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=_read_options(lead, use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                             include_columns=list(COLUMNS),
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
    )
    where = str(path)
    row = 0
    for batch in reader:
        line_of = _line_mapper(short)
        filled = pc.invert(_blank_rows(batch))

        def found(bad: pa.Array, reason: str, values: pa.Array | None = None,
                  first: int = row, line_of: Callable[[int], int] = line_of,
                  filled: pa.Array = filled) -> None:
            _report_mapped(ctx.problems, pc.and_(bad, filled), first, line_of, where, reason,
                           values)

        ts, bad_ts = _timestamps(batch.column("Timestamp"))
        found(bad_ts, BAD_TIMESTAMP, batch.column("Timestamp"))
        for column in ("Amount Paid", "Amount Received"):
            for bad, reason in _amount_problems(batch.column(column), column):
                found(bad, reason, batch.column(column))
        flag = pc.utf8_trim_whitespace(batch.column("Is Laundering"))
        found(pc.invert(pc.is_in(flag, value_set=pa.array(TRUE_VALUES + FALSE_VALUES))),
              N_("%(column)s is not 0 or 1", column="Is Laundering"),
              batch.column("Is Laundering"))
        for column in ("Payment Currency", "Receiving Currency"):
            iso = _iso(batch.column(column), names)
            found(pc.is_null(iso), N_("unknown %(column)s", column=column), batch.column(column))
            if column == "Payment Currency":
                paid, _ = parse_float(batch.column("Amount Paid"))
                _, no_rate = ctx.rates.convert(pc.fill_null(paid, 0.0), iso,
                                               pc.fill_null(ts, 0))
                iso_text = pc.cast(iso, pa.string())
                found(pc.and_(no_rate, pc.is_valid(iso_text)),
                      N_("no exchange rate into %(base)s for", base=ctx.base_currency),
                      iso_text)
        for column in ("From Bank", "From Account", "To Bank", "To Account"):
            found(pc.equal(pc.utf8_trim_whitespace(batch.column(column)), ""),
                  N_("%(column)s is empty", column=column))
        row += batch.num_rows
    for number, count in short:
        ctx.problems.add(f"{where}:{number}" if number else where,
                         N_("expected %(expected)s fields, found %(found)s",
                            expected=len(COLUMNS) + lead, found=count))
    if not ctx.problems:
        ctx.problems.add(where, N_("the file could not be read as AMLworld CSV"))


def _amount_problems(values: pa.Array, column: str) -> list[tuple[pa.Array, str]]:
    """The masks of an amount column's bad values, each with its reason: not a number
    (empty included), too large for a float (``1e400``), and a negative amount paid."""
    value, bad = parse_float(values)
    finite = pc.fill_null(pc.is_finite(value), True)
    found: list[tuple[pa.Array, str]] = [
        (bad, N_("%(column)s is not a number", column=column)),
        (pc.invert(finite), N_("%(column)s is too large", column=column))]
    if column == "Amount Paid":
        found.append((pc.and_(finite, pc.fill_null(pc.less(value, 0), False)),
                      N_("%(column)s is negative", column=column)))
    return found


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
                   values: pa.Array | None) -> None:
    for pos in pc.indices_nonzero(bad).to_pylist():
        problems.add(f"{where}:{line_of(first_row + pos)}", reason if values is None else
                     N_("%(reason)s: %(value)s", reason=reason, value=repr(values[pos].as_py())))
