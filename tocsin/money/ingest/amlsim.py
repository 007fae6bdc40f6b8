"""IBM AMLSim outputs: ``transactions.csv`` plus ``nodes.csv`` (account labels).

``transactions.csv`` has ``sourceNodeId,targetNodeId,value,time`` where time is
a simulation step; step N becomes ``start + N days`` (option ``start``, default
2020-01-01 UTC). ``nodes.csv`` has ``nodeid,isFraud,init_balance,fraudStep``.
AMLSim amounts carry no currency; option ``currency`` says which one they are
(default: the set's base currency). Every simulated account belongs to the one
simulated bank, so accounts are ``domestic``.

Sources: the two files, or the directory that holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.money.ingest.base import (
    Context,
    RowRepeats,
    csv_batches,
    empty_lines_note,
    file_size,
    mix_keys,
    repeats_note,
)
from tocsin.money.ingest.columns import parse_float, parse_int, report, required_text

TRANSACTION_COLUMNS = ("sourceNodeId", "targetNodeId", "value", "time")
NODE_COLUMNS = ("nodeid", "isFraud")
DEFAULT_START = datetime(2020, 1, 1, tzinfo=UTC)
BLOCK_SIZE = 4 << 20


def split_sources(sources: Sequence[Path]) -> tuple[Path, Path]:
    """Find the transactions and nodes files among the sources (files or a directory)."""
    files: list[Path] = []
    for source in sources:
        source = Path(source)
        files.extend(sorted(source.glob("*.csv")) if source.is_dir() else [source])
    txns = [f for f in files if f.name.lower() == "transactions.csv"]
    nodes = [f for f in files if f.name.lower() in ("nodes.csv", "accounts.csv")]
    if len(txns) != 1 or len(nodes) != 1:
        raise InputError.single(
            ", ".join(str(s) for s in sources) or "(no sources)",
            N_("AMLSim needs exactly one transactions.csv and one nodes.csv"),
        )
    return txns[0], nodes[0]


def _check_header(path: Path, expected: Sequence[str]) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        line = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputError.single(f"{path}:1", N_("the header is not UTF-8 text (%(error)s at "
                                                "byte %(byte)s)", error=exc.reason,
                                                byte=exc.start)) from None
    if "\r" in line:
        # the CSV reader ends the header there
        raise _header_differs(path, pa.ArrowKeyError("a carriage return inside the header"))
    # a copy re-saved on Windows starts with a byte order mark; some put a space after
    # each comma
    header = [name.strip().strip('"') for name in line.split(",")]
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError.single(f"{path}:1", N_("missing column(s) %(missing)s; the header "
                                                "is %(header)s", missing=", ".join(missing),
                                                header=",".join(header)))
    return header


def _start(ctx: Context) -> datetime:
    start = ctx.options.get("start", DEFAULT_START)
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            raise InputError.single("option start", N_("%(value)s is not an ISO date",
                                                       value=repr(start))) from None
    if not isinstance(start, datetime):
        raise InputError.single("option start", N_("must be a date and time"))
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def read(sources: Sequence[Path], ctx: Context) -> None:
    txn_path, nodes_path = split_sources(sources)
    ctx.files.extend([txn_path, nodes_path])
    txn_header = _check_header(txn_path, TRANSACTION_COLUMNS)
    nodes_header = _check_header(nodes_path, NODE_COLUMNS)
    accounts = _read_nodes(nodes_path, nodes_header, ctx)
    known = accounts.column("account_id")
    ctx.has_labels = True
    currency = str(ctx.options.get("currency") or ctx.base_currency).upper()
    rate = ctx.rates.rate(currency)
    if rate is None:
        ctx.problems.add("option currency", N_("no exchange rate for %(currency)s into "
                                               "%(base)s", currency=currency,
                                               base=ctx.base_currency))
        return
    start_us = int(_start(ctx).timestamp() * 1_000_000)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in TRANSACTION_COLUMNS},
                                   include_columns=list(TRANSACTION_COLUMNS))
    line = 2
    blank: list[int] = []
    repeats = RowRepeats()
    with ctx.progress.track(f"AMLSim {txn_path.name}", file_size(txn_path)) as bar:
        try:
            with csv_batches(txn_path, bar,
                             read_options=_read_options(txn_header, block_size=BLOCK_SIZE),
                             parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
                             convert_options=convert) as batches:
                for batch in batches:
                    blank += _convert_batch(batch, line, txn_path, known, rate, currency,
                                            start_us, ctx, repeats)
                    line += batch.num_rows
        except pa.ArrowKeyError as exc:
            raise _header_differs(txn_path, exc) from None
    if blank:
        ctx.notes.append(empty_lines_note(txn_path.name, blank))
    count, places = repeats.finish()
    if count:
        # the published samples repeat some rows: separate payments, all kept
        ctx.notes.append(repeats_note(count, places))
    ctx.writer.write_accounts(accounts)


def _read_options(header: Sequence[str], **options: Any) -> pacsv.ReadOptions:
    """The header as read by :func:`_check_header` (its names trimmed), then the rows."""
    return pacsv.ReadOptions(column_names=list(header), skip_rows=1, **options)


def _blank_rows(columns: Sequence[pa.Array]) -> pa.Array:
    """Rows whose every field read is empty: empty lines, kept so lines keep their numbers."""
    blank = pc.equal(columns[0], "")
    for column in columns[1:]:
        blank = pc.and_(blank, pc.equal(column, ""))
    return blank


def _convert_batch(batch: pa.RecordBatch, line: int, path: Path, known: pa.Array, rate: float,
                   currency: str, start_us: int, ctx: Context, repeats: RowRepeats) -> list[int]:
    """Validate and write one block; the lines of its empty rows, left out."""
    where = str(path)
    blank = _blank_rows(batch.columns)
    filled = pc.invert(blank)
    value, bad_value = parse_float(batch.column("value"))
    step, bad_step = parse_int(batch.column("time"))

    def found(bad: pa.Array, reason: str, values: pa.Array | None = None) -> None:
        report(ctx.problems, pc.and_(bad, filled), line, where, reason, values)

    found(bad_value, N_("%(column)s is not a number", column="value"), batch.column("value"))
    found(bad_step, N_("time is not a whole simulation step"), batch.column("time"))
    negative = pc.fill_null(pc.less(value, 0), False)
    found(negative, N_("%(column)s is negative", column="value"), batch.column("value"))
    for column in ("sourceNodeId", "targetNodeId"):
        ids = pc.utf8_trim_whitespace(batch.column(column))
        found(required_text(ids), N_("%(column)s is empty", column=column))
        unknown = pc.and_(pc.invert(pc.is_in(ids, value_set=known)), pc.invert(required_text(ids)))
        found(unknown, N_("%(column)s is not in nodes.csv", column=column), ids)
    numbers = pa.array(range(line, line + batch.num_rows), pa.int64())
    empty = pc.filter(numbers, blank).to_pylist() if pc.any(blank).as_py() else []
    if ctx.problems:
        return empty  # keep validating later blocks, but write nothing more
    if empty:
        batch, value, step, numbers = (pc.filter(x, filled) for x in (batch, value, step,
                                                                        numbers))
    n = batch.num_rows
    lines = pc.cast(numbers, pa.string())
    source = pc.utf8_trim_whitespace(batch.column("sourceNodeId"))
    target = pc.utf8_trim_whitespace(batch.column("targetNodeId"))
    repeats.add(mix_keys([step.to_numpy(zero_copy_only=False),
                          value.to_numpy(zero_copy_only=False)]),
                source, target, path.name,
                numbers.to_numpy() if empty or not n else int(numbers[0].as_py()))
    ts_us = pc.add(pc.multiply(step, 86_400_000_000), start_us)
    ctx.writer.write_transactions(pa.table({
        "txn_id": pc.binary_join_element_wise(path.stem, lines, ":"),
        "ts": pc.cast(ts_us, pa.timestamp("us", tz="UTC")),
        "source": source,
        "target": target,
        "amount": pc.multiply(value, rate),
        "amount_orig": value,
        "currency_orig": pa.repeat(pa.scalar(currency, pa.string()), n),
        "source_ref": pc.binary_join_element_wise(path.name, lines, ":"),
        "source_file": pa.repeat(pa.scalar(path.name, pa.string()), n),
        "source_line": numbers,
    }))
    return empty


def _header_differs(path: Path, exc: pa.ArrowKeyError) -> InputError:
    """The first line names the columns, but read as CSV (quotes, line breaks) it does not."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "a column is missing"
    return InputError.single(f"{path}:1", f"the header, read as CSV, lacks a column the "
                                          f"import needs ({reason})")


def _read_nodes(path: Path, header: Sequence[str], ctx: Context) -> pa.Table:
    try:
        table = pacsv.read_csv(
            path,
            read_options=_read_options(header),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in NODE_COLUMNS},
                include_columns=list(NODE_COLUMNS)),
        )
    except pa.ArrowKeyError as exc:
        raise _header_differs(path, exc) from None
    where = str(path)
    ids = pc.utf8_trim_whitespace(table.column("nodeid").combine_chunks())
    flags = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("isFraud").combine_chunks()))
    blank = _blank_rows([ids, flags])
    filled = pc.invert(blank)
    report(ctx.problems, pc.and_(required_text(ids), filled), 2, where,
           N_("%(column)s is empty", column="nodeid"))
    fraud = pc.is_in(flags, value_set=pa.array(["1", "true"]))
    valid = pc.is_in(flags, value_set=pa.array(["0", "1", "true", "false"]))
    report(ctx.problems, pc.and_(pc.invert(pc.fill_null(valid, False)), filled), 2, where,
           N_("isFraud must be 0 or 1"), flags)
    n = table.num_rows
    numbers = pa.array(range(2, 2 + n), pa.int64())
    if pc.any(blank).as_py():
        ctx.notes.append(empty_lines_note(path.name, pc.filter(numbers, blank).to_pylist()))
        ids, fraud, numbers = (pc.filter(x, filled) for x in (ids, fraud, numbers))
        n = len(ids)
    counts = pc.value_counts(ids)
    for item in counts.to_pylist():
        if item["counts"] > 1:
            ctx.problems.add(where, N_("nodeid %(value)s appears %(count)s times",
                                       value=repr(item["values"]), count=item["counts"]))
    lines = pc.cast(numbers, pa.string())
    return pa.table({
        "account_id": ids,
        "kind": pa.array(["domestic"] * n, pa.string()),
        "label": pc.fill_null(fraud, False),
        "source_ref": pc.binary_join_element_wise(path.name, lines, ":"),
    })
