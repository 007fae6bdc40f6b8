"""IBM AMLSim outputs, in the four layouts that circulate.

* **nodes**: ``transactions.csv`` with ``sourceNodeId,targetNodeId,value,time``
  plus ``nodes.csv`` (``nodeid,isFraud,init_balance,fraudStep``), the layout of
  the published ``20K_fanin200`` samples. Time is a simulation step; step N
  becomes ``start + N days`` (option ``start``, default 2020-01-01 UTC).
* **converted**: what AMLSim's ``scripts/convert_logs.py`` writes into
  ``outputs/<simulation>/``. ``transactions.csv`` (columns chosen by the
  simulation's ``schema.json``; read by name: ``tran_id, orig_acct, bene_acct,
  tx_type, base_amt, tran_timestamp`` and the label ``is_sar``, or ``is_fraud``
  in older versions, plus ``alert_id``), ``cash_tx.csv`` (the same columns, for
  ``CASH-IN``/``CASH-OUT``), ``accounts.csv`` (``acct_id`` and the label
  ``prior_sar_count`` or ``is_sar``), ``alert_transactions.csv`` (the typology
  ``alert_type`` of each alert transaction) and ``alert_accounts.csv`` (the
  typology of each alert, used when ``alert_transactions.csv`` is absent).
  ``tran_timestamp`` is an ISO date or time as written, or a step when the
  schema kept it as a plain number. The variant with upper-case names
  (``TX_ID,SENDER_ACCOUNT_ID,RECEIVER_ACCOUNT_ID,TX_TYPE,TX_AMOUNT,TIMESTAMP,
  IS_FRAUD,ALERT_ID``, accounts ``ACCOUNT_ID``/``IS_FRAUD``, alert transactions
  in ``alerts.csv``) is read the same way.
* **log**: the simulator's raw ``tx_log.csv`` (``step,type,amount,nameOrig,
  oldbalanceOrig,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isSAR,
  alertID``), with the optional ``accounts.csv`` and ``alert_accounts.csv``
  (or the generator's ``alert_members.csv``) for account labels and typologies.
  PaySim's log, AMLSim's ancestor (``step,type,amount,nameOrig,oldbalanceOrg,
  newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud``),
  is read the same way, with ``isFraud`` as the label; its step is an hour, not a day.
* **2018 sample**: ``tx.csv`` (``TXN_ID,ACCOUNT_ID,COUNTER_PARTY_ACCOUNT_NUM,
  TXN_SOURCE_TYPE_CODE,tx_count,TXN_AMOUNT_ORIG,start,end``), ``accounts.csv``
  (``isFraud``), ``alerts.csv`` and ``cash_tx.csv``, as in IBM/AMLSim's
  ``sample/outputs``. Only accounts carry labels there.

In the converted, log and 2018 layouts a step N becomes ``start + N days``
with ``start`` defaulting to 2017-01-01, AMLSim's own ``base_date``. The
typology of a laundering transaction becomes its ``label_pattern`` under the
platform's pattern names (``fan_in`` is ``FAN-IN``, ``scatter_gather`` is
``SCATTER-GATHER``…); a typology of another name is kept as written and named
in a note. Cash payments run between an account and its branch, an account
``branch:<id>`` of kind ``cash``: AMLSim writes the branch as the beneficiary
of a ``CASH-IN`` and as the originator of a ``CASH-OUT``, and the direction is
kept as AMLSim wrote it. Columns the set has no place for, and files the
import does not read, are named in the notes.

AMLSim amounts carry no currency; option ``currency`` says which one they are
(default: the one currency every account of ``accounts.csv`` reports in,
``acct_rptng_crncy``, else the set's base currency). Every simulated account is ``domestic``.

Sources: the files, or the directory that holds them.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.base import (
    INDEX_NAMES,
    Context,
    FewLines,
    RowRepeats,
    csv_batches,
    empty_lines_note,
    file_size,
    index_column_note,
    mix_keys,
    repeats_note,
)
from tocsin.money.ingest.columns import parse_float, parse_int, report, required_text

TRANSACTION_COLUMNS = ("sourceNodeId", "targetNodeId", "value", "time")
#: accounts.csv's reporting currency (the simulation's one currency in AMLSim's outputs)
CURRENCY_COLUMN = "acct_rptng_crncy"
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
    _require(path, header, expected)
    return header


def _start(ctx: Context, default: datetime = DEFAULT_START) -> datetime:
    start = ctx.options.get("start", default)
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            raise InputError.single("option start", N_("%(value)s is not an ISO date",
                                                       value=repr(start))) from None
    if not isinstance(start, datetime):
        raise InputError.single("option start", N_("must be a date and time"))
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def _currency(ctx: Context, currency: str | None = None,
              where: str = "option currency") -> tuple[str, float | None]:
    """The currency AMLSim's amounts are taken in (``currency``, else option ``currency``)
    and its rate into the base currency; without a rate, a problem at ``where`` says so."""
    currency = (currency or str(ctx.options.get("currency") or ctx.base_currency)).upper()
    rate = ctx.rates.rate(currency)
    if rate is None:
        ctx.problems.add(where, N_("no exchange rate for %(currency)s into %(base)s",
                                   currency=currency, base=ctx.base_currency))
    return currency, rate


def _read_nodes_layout(sources: Sequence[Path], ctx: Context) -> None:
    txn_path, nodes_path = split_sources(sources)
    ctx.files.extend([txn_path, nodes_path])
    txn_header = _check_header(txn_path, TRANSACTION_COLUMNS)
    nodes_header = _check_header(nodes_path, NODE_COLUMNS)
    accounts = _read_nodes(nodes_path, nodes_header, ctx)
    known = accounts.column("account_id")
    ctx.has_labels = True
    currency, rate = _currency(ctx)
    if rate is None:
        return
    start_us = int(_start(ctx).timestamp() * 1_000_000)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in TRANSACTION_COLUMNS},
                                   include_columns=list(TRANSACTION_COLUMNS))
    line = 2
    blank = FewLines()
    repeats = RowRepeats()
    with ctx.progress.track(f"AMLSim {txn_path.name}", file_size(txn_path)) as bar:
        try:
            with csv_batches(txn_path, bar,
                             read_options=_read_options(txn_path, txn_header,
                                                       block_size=BLOCK_SIZE),
                             parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
                             convert_options=convert) as batches:
                for batch in batches:
                    blank.add(_convert_batch(batch, line, txn_path, known, rate, currency,
                                             start_us, ctx, repeats))
                    line += batch.num_rows
        except pa.ArrowKeyError as exc:
            raise _header_differs(txn_path, exc) from None
        except pa.ArrowInvalid:
            raise _bad_row(txn_path, len(txn_header)) from None
    if blank.count:
        ctx.notes.append(empty_lines_note(txn_path.name, blank))
    count, places = repeats.finish()
    if count:
        # the published samples repeat some rows: separate payments, all kept
        ctx.notes.append(repeats_note(count, places))
    ctx.writer.write_accounts(accounts)


def _read_options(path: Path, header: Sequence[str], **options: Any) -> pacsv.ReadOptions:
    """The header as read by :func:`_check_header` (its names trimmed: the CSV reader keeps
    what ``str.strip`` takes off, spaces and control characters), then the rows; a name
    given twice is refused, since either column could be the one meant."""
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise InputError.single(f"{path}:1", N_("the header names %(columns)s more than once",
                                                columns=", ".join(twice)))
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
            read_options=_read_options(path, header),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in NODE_COLUMNS},
                include_columns=list(NODE_COLUMNS)),
        )
    except pa.ArrowKeyError as exc:
        raise _header_differs(path, exc) from None
    except pa.ArrowInvalid:
        raise _bad_row(path, len(header)) from None
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
        lines = FewLines()
        lines.add(pc.filter(numbers, blank).to_numpy())
        ctx.notes.append(empty_lines_note(path.name, lines))
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


# -- the layouts of AMLSim itself: converted outputs, the raw log, the 2018 sample ----------

#: AMLSim's ``base_date`` (conf.json ``general.base_date``), the date of step 0.
AMLSIM_BASE_DATE = datetime(2017, 1, 1, tzinfo=UTC)
#: AMLSim typologies (alertPatterns.csv ``type``) -> the platform's pattern names.
PATTERNS = {
    "fan_in": "FAN-IN", "fan_out": "FAN-OUT", "cycle": "CYCLE", "bipartite": "BIPARTITE",
    "stack": "STACK", "random": "RANDOM", "scatter_gather": "SCATTER-GATHER",
    "gather_scatter": "GATHER-SCATTER",
}
CASH_IN, CASH_OUT = "CASH-IN", "CASH-OUT"
ACCOUNT_IDS = ("acct_id", "ACCOUNT_ID")
ACCOUNT_LABELS = ("is_sar", "prior_sar_count", "is_fraud", "IS_SAR", "IS_FRAUD", "isFraud")
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
#: A log's columns: AMLSim's ``tx_log.csv``, or PaySim's (``isFraud``, no alerts).
_AMLSIM_LOG = ("nameOrig", "nameDest", "isSAR")
_PAYSIM_LOG = ("step", "nameOrig", "nameDest", "isFraud")
_MAX_STEP = 1_000_000  # days; beyond this a step is not a simulation step
_TRUE = ("true", "t", "yes", "y")
_FALSE = ("false", "f", "no", "n")
_ZONED = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)\s*$"
_NAIVE = r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"
_UTC = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class _Columns:
    """Which column of a transactions file plays which part."""

    source: str
    target: str
    amount: str
    time: str
    id: str | None = None  # None: ``<file stem>:<line>``
    channel: str | None = None
    label: str | None = None
    alert: str | None = None
    #: what one simulation step is: a day in AMLSim, an hour in PaySim
    step_us: int = _DAY_US

    def used(self) -> set[str]:
        return {c for c in (self.source, self.target, self.amount, self.time, self.id,
                            self.channel, self.label, self.alert) if c}


@dataclass
class _Patterns:
    """Typology names (already mapped) by transaction id or by alert id."""

    keys: pa.Array
    names: pa.Array
    by_alert: bool
    #: the file they come from
    file: str = ""
    #: by transaction id: the keys a transaction read so far has
    seen: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.seen = np.zeros(len(self.keys), bool)


@dataclass
class _State:
    start_us: int
    rate: float
    currency: str
    accounts: pa.Table | None = None
    accounts_file: str = "accounts.csv"
    patterns: _Patterns | None = None
    ids: list[pa.Array] = field(default_factory=list)
    #: The transaction files read, in order: where a repeated id may be.
    txn_files: list[str] = field(default_factory=list)
    ends: list[pa.Array] = field(default_factory=list)
    branches: list[pa.Array] = field(default_factory=list)
    false_alerts: int = 0
    without_pattern: int = 0
    #: whether a label column was read (of transactions or of accounts)
    labelled: bool = False


def _expand(sources: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        source = Path(source)
        files.extend(sorted(source.glob("*.csv")) if source.is_dir() else [source])
    return files


def _header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single(f"{path}:1", N_("the header is not UTF-8 text (%(error)s at "
                                                "byte %(byte)s)", error=exc.reason,
                                                byte=exc.start)) from None
    return [c.strip().strip('"').strip() for c in text.lstrip("\ufeff").strip().split(",")]


def _header_or_none(path: Path) -> list[str]:
    """The header for telling the layout; a file that is not text has none."""
    try:
        return _header(path)
    except InputError:
        return []


def layout_of(files: Sequence[Path]) -> str:
    """``nodes``, ``converted``, ``log`` or ``sample2018``, from the files' names and headers."""
    headers = {f: _header_or_none(f) for f in files if f.is_file()}
    named = {f.name.lower(): h for f, h in headers.items()}
    txns = named.get("transactions.csv")
    if txns is not None and "sourceNodeId" in txns:
        return "nodes"
    if txns is not None and any(_pick(txns, r) for r in ("id", "source", "target")):
        return "converted"  # its own header check names what is missing
    if any(_is_log(h) for h in headers.values()):
        return "log"
    tx = named.get("tx.csv")
    if tx is not None and {"TXN_ID", "COUNTER_PARTY_ACCOUNT_NUM"} <= set(tx):
        return "sample2018"
    if txns is not None:
        return "nodes"  # its own header check names what is missing
    raise InputError.single(
        ", ".join(str(f) for f in files) or "(no sources)",
        N_("not an AMLSim layout: give transactions.csv with nodes.csv, AMLSim's converted "
           "outputs (transactions.csv with orig_acct and bene_acct), tx_log.csv, the "
           "2018 sample's tx.csv, or PaySim's log (step, nameOrig, nameDest, isFraud)"))


def _is_log(header: Sequence[str]) -> bool:
    names = set(header)
    return set(_AMLSIM_LOG) <= names or set(_PAYSIM_LOG) <= names


def is_header(columns: Sequence[str]) -> bool:
    """Whether a CSV header is one of AMLSim's transaction files (format detection)."""
    names = {c.strip().strip('"') for c in columns}
    return ({"sourceNodeId", "targetNodeId"} <= names
            or {"tran_id", "orig_acct", "bene_acct", "base_amt"} <= names
            or {"TX_ID", "SENDER_ACCOUNT_ID", "RECEIVER_ACCOUNT_ID", "TX_AMOUNT"} <= names
            or {"nameOrig", "nameDest", "isSAR", "alertID"} <= names
            or {"nameOrig", "nameDest", "isFraud", "isFlaggedFraud"} <= names
            or {"TXN_ID", "ACCOUNT_ID", "COUNTER_PARTY_ACCOUNT_NUM"} <= names)


def is_folder(names: set[str]) -> bool:
    """Whether a folder's file names (lower case) are those of an AMLSim output."""
    converted = "transactions.csv" in names and bool(
        names & {"nodes.csv", "accounts.csv", "alert_transactions.csv"})
    return converted or "tx_log.csv" in names or {"tx.csv", "accounts.csv"} <= names


def read(sources: Sequence[Path], ctx: Context) -> None:
    files = _expand(sources)
    layout = layout_of(files)
    if layout == "nodes":
        _read_nodes_layout(sources, ctx)
        return
    currency, rate = _currency(ctx)
    if rate is None:
        return
    state = _State(start_us=int(_start(ctx, AMLSIM_BASE_DATE).timestamp() * 1_000_000),
                   rate=rate, currency=currency)
    named = {f.name.lower(): f for f in files}
    if layout == "converted":
        used = _read_converted(named, ctx, state)
    elif layout == "log":
        used = _read_log(files, named, ctx, state)
    else:
        used = _read_2018(named, ctx, state)
    ctx.files.extend(used)
    left = [f.name for f in files if f not in used]
    if left:
        ctx.notes.append(N_("not read: %(files)s", files=", ".join(left)))
    if ctx.problems:
        return
    _note_alerts_not_found(state, ctx)
    _check_unique_ids(state, ctx)
    if not ctx.problems:
        ctx.writer.write_accounts(_accounts(state))
    ctx.has_labels = state.labelled
    if state.false_alerts:
        ctx.notes.append(N_plural("%(count)s transaction of alerts that are not SAR (false "
                                  "alerts) is not labelled and carries no pattern",
                                  "%(count)s transactions of alerts that are not SAR (false "
                                  "alerts) are not labelled and carry no pattern",
                                  state.false_alerts, count=state.false_alerts))
    if state.without_pattern:
        ctx.notes.append(N_plural("%(count)s laundering transaction has no typology in the "
                                  "alert files",
                                  "%(count)s laundering transactions have no typology in the "
                                  "alert files", state.without_pattern,
                                  count=state.without_pattern))


#: The converted layout's columns, by role: the names of IBM's schema.json files, then the
#: upper-case names of the variant that circulates as "TX_ID,SENDER_ACCOUNT_ID,…".
CONVERTED = {
    "id": ("tran_id", "TX_ID"), "source": ("orig_acct", "SENDER_ACCOUNT_ID"),
    "target": ("bene_acct", "RECEIVER_ACCOUNT_ID"), "amount": ("base_amt", "TX_AMOUNT"),
    "time": ("tran_timestamp", "TIMESTAMP"),
    "label": ("is_sar", "is_fraud", "IS_SAR", "IS_FRAUD"),
    "channel": ("tx_type", "TX_TYPE"), "alert": ("alert_id", "ALERT_ID"),
}


def _pick(header: Sequence[str], role: str) -> str | None:
    return next((c for c in CONVERTED[role] if c in header), None)


def _read_converted(named: dict[str, Path], ctx: Context, state: _State) -> list[Path]:
    txn_path = named["transactions.csv"]
    used = [txn_path]
    if "accounts.csv" in named:
        used.append(named["accounts.csv"])
        _use_accounts(named["accounts.csv"], ctx, state)
    alerts = named.get("alerts.csv")
    alert_names = set(_header_or_none(alerts)) if alerts is not None else set()
    if "alert_transactions.csv" in named:
        path = named["alert_transactions.csv"]
        used.append(path)
        state.patterns = _read_alerts(path, ctx, "tran_id", "alert_type", by_alert=False)
    elif alerts is not None and {"TX_ID", "ALERT_TYPE"} <= alert_names:
        # the upper-case variant's alert transactions
        used.append(alerts)
        state.patterns = _read_alerts(alerts, ctx, "TX_ID", "ALERT_TYPE", by_alert=False)
    elif "alert_accounts.csv" in named:
        path = named["alert_accounts.csv"]
        used.append(path)
        state.patterns = _read_alerts(path, ctx, "alert_id", "alert_type", by_alert=True)
    elif alerts is not None and {"ALERT_ID", "ALERT_TYPE"} <= alert_names:
        # its alert accounts (ALERT_ID,ACCOUNT_ID,…,ALERT_TYPE,…): the typology of each alert
        used.append(alerts)
        state.patterns = _read_alerts(alerts, ctx, "ALERT_ID", "ALERT_TYPE", by_alert=True)
    for path in [txn_path] + ([named["cash_tx.csv"]] if "cash_tx.csv" in named else []):
        header = _header(path)
        roles = {role: _pick(header, role) for role in CONVERTED}
        missing = [CONVERTED[r][0] if r != "label" else "is_sar|is_fraud" for r in
                   ("id", "source", "target", "amount", "time", "label") if roles[r] is None]
        _require(path, header, missing)
        cols = _Columns(source=str(roles["source"]), target=str(roles["target"]),
                        amount=str(roles["amount"]), time=str(roles["time"]), id=roles["id"],
                        channel=roles["channel"], label=roles["label"], alert=roles["alert"])
        if path != txn_path:
            used.append(path)
        _stream(path, header, cols, ctx, state, cash_only=path != txn_path)
    return used


def _read_log(files: Sequence[Path], named: dict[str, Path], ctx: Context,
              state: _State) -> list[Path]:
    logs = [f for f in files if f.is_file() and _is_log(_header_or_none(f))]
    used = list(logs)
    if "accounts.csv" in named:
        used.append(named["accounts.csv"])
        _use_accounts(named["accounts.csv"], ctx, state)
    if "alert_accounts.csv" in named:
        used.append(named["alert_accounts.csv"])
        state.patterns = _read_alerts(named["alert_accounts.csv"], ctx, "alert_id",
                                      "alert_type", by_alert=True)
    elif "alert_members.csv" in named:
        used.append(named["alert_members.csv"])
        state.patterns = _read_alerts(named["alert_members.csv"], ctx, "alertID", "reason",
                                      by_alert=True)
    amlsim = _Columns(source="nameOrig", target="nameDest", amount="amount", time="step",
                      channel="type", label="isSAR", alert="alertID")
    # PaySim's rows name no alert, and a step is an hour of its simulated month
    paysim = _Columns(source="nameOrig", target="nameDest", amount="amount", time="step",
                      channel="type", label="isFraud", step_us=_HOUR_US)
    for path in logs:
        header = _header(path)
        cols = amlsim if "isSAR" in header else paysim
        _require(path, header, sorted(cols.used()))
        if cols is paysim:
            ctx.notes.append(N_("%(file)s: PaySim's log; step N is the start (--start) plus "
                                "N hours", file=path.name))
        _stream(path, header, cols, ctx, state, cash_only=False)
    return used


def _read_2018(named: dict[str, Path], ctx: Context, state: _State) -> list[Path]:
    used = [named["tx.csv"]]
    if "accounts.csv" in named:
        used.append(named["accounts.csv"])
        _use_accounts(named["accounts.csv"], ctx, state)
    if "alerts.csv" in named:
        used.append(named["alerts.csv"])
        _note_2018_alerts(named["alerts.csv"], ctx)
    ctx.notes.append(N_("tx.csv labels no transaction: only accounts carry labels "
                        "(isFraud)"))
    tx = _Columns(source="ACCOUNT_ID", target="COUNTER_PARTY_ACCOUNT_NUM",
                  amount="TXN_AMOUNT_ORIG", time="start", id="TXN_ID",
                  channel="TXN_SOURCE_TYPE_CODE")
    header = _header(named["tx.csv"])
    _require(named["tx.csv"], header, sorted(tx.used()))
    _stream(named["tx.csv"], header, tx, ctx, state, cash_only=False)
    if "cash_tx.csv" in named:
        path = named["cash_tx.csv"]
        used.append(path)
        # ACCOUNT_ID is the originator and BRANCH_ID the beneficiary, whatever their names
        # say: a CASH-OUT's originator is the branch (the simulator's CashOutModel).
        cash = _Columns(source="ACCOUNT_ID", target="BRANCH_ID", amount="TXN_AMOUNT_ORIG",
                        time="RUN_DATE", id="TXN_ID", channel="TXN_SOURCE_TYPE_CODE")
        header = _header(path)
        _require(path, header, sorted(cash.used()))
        _stream(path, header, cash, ctx, state, cash_only=True)
    return used


def _require(path: Path, header: Sequence[str], needed: Sequence[str]) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError.single(f"{path}:1", N_plural(
            "missing column %(missing)s; the header is %(header)s",
            "missing columns %(missing)s; the header is %(header)s", len(missing),
            missing=", ".join(missing), header=",".join(header)))


def _note_unkept(path: Path, header: Sequence[str], used: set[str], ctx: Context) -> None:
    unkept = [c for c in header if c not in used]
    if header and header[0] in INDEX_NAMES and unkept[:1] == [header[0]]:
        # pandas' row index, written back as a first column without a name ("Unnamed: 0")
        unkept = unkept[1:]
        ctx.notes.append(index_column_note(path.name))
    if unkept:
        ctx.notes.append(N_plural("%(file)s: column not kept (the set has no place for it): "
                                  "%(columns)s",
                                  "%(file)s: columns not kept (the set has no place for them): "
                                  "%(columns)s", len(unkept), file=path.name,
                                  columns=", ".join(unkept)))


# -- values -----------------------------------------------------------------------------------


def _flags(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """True/false as AMLSim writes them (``True``, ``false``, ``1``, ``0``); a count above 0
    is true (``prior_sar_count``). Returns the flags and the mask of values that are none.

    A column holds a handful of distinct words: each is judged once."""
    encoded = pc.dictionary_encode(values)
    flag, bad = _judge_flags(encoded.dictionary)
    return pc.take(flag, encoded.indices), pc.take(bad, encoded.indices)


def _judge_flags(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    number, not_number = parse_int(values)
    counted = pc.and_(pc.invert(not_number), pc.fill_null(pc.greater_equal(number, 0), False))
    true = pc.or_(pc.is_in(text, value_set=pa.array(_TRUE)),
                  pc.and_(counted, pc.fill_null(pc.greater(number, 0), False)))
    false = pc.or_(pc.is_in(text, value_set=pa.array(_FALSE)),
                   pc.and_(counted, pc.fill_null(pc.equal(number, 0), False)))
    return pc.fill_null(true, False), pc.invert(pc.fill_null(pc.or_(true, false), False))


def _times(values: pa.Array, start_us: int, step_us: int = _DAY_US
           ) -> tuple[pa.Array, pa.Array]:
    """A step (whole steps of ``step_us`` after ``start``, a day unless said) or an ISO 8601
    date or time (UTC unless it says)."""
    try:  # what AMLSim's converter writes: every value an ISO time with its zone
        return pc.cast(values, _UTC), pa.repeat(pa.scalar(False), len(values))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    step, _ = parse_int(values)
    in_range = pc.fill_null(pc.less_equal(pc.abs(step), _MAX_STEP), False)
    step = pc.if_else(in_range, step, pa.scalar(None, pa.int64()))
    out = pc.cast(pc.add(pc.multiply(step, step_us), start_us), _UTC)
    for pattern, zoned in ((_ZONED, True), (_NAIVE, False)):
        mask = pc.fill_null(pc.match_substring_regex(values, pattern), False)
        if pc.any(mask).as_py():
            parsed = _iso(pc.utf8_trim_whitespace(pc.filter(values, mask)), zoned)
            out = pc.replace_with_mask(out, mask, parsed)
    return out, pc.is_null(out)


def _amounts(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Decimal numbers; the common case, every value a plain finite number, without a regex."""
    try:
        amount = pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return parse_float(values)
    if pc.all(pc.is_finite(amount)).as_py():
        return amount, pa.repeat(pa.scalar(False), len(values))
    return parse_float(values)  # nan or inf: name them


def _iso(values: pa.Array, zoned: bool) -> pa.Array:
    try:
        if zoned:
            return pc.cast(values, _UTC)
        return pc.assume_timezone(pc.cast(values, pa.timestamp("us")), "UTC")
    except pa.ArrowInvalid:
        pass  # a day or hour that does not exist: find it value by value
    parsed: list[datetime | None] = []
    for text in values.to_pylist():
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            parsed.append(None)
            continue
        parsed.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return pa.array(parsed, _UTC)


def _pattern_names(types: pa.Array, unknown: dict[str, int]) -> pa.Array:
    """AMLSim typology names -> the platform's; any other name is kept as written and
    counted in ``unknown``."""
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(types))
    words = encoded.dictionary.to_pylist()
    mapped = [PATTERNS.get(w.lower(), w) if w else None for w in words]
    rows = pc.value_counts(encoded.indices).to_pylist()
    for item in rows:
        word = words[item["values"]]
        if word and word.lower() not in PATTERNS:
            unknown[word] = unknown.get(word, 0) + item["counts"]
    return pc.take(pa.array(mapped, pa.string()), encoded.indices)


# -- the side files ---------------------------------------------------------------------------


def _read_table(path: Path) -> tuple[pa.Table, list[str]]:
    """A side file, every column as text, named as :func:`_header` reads the names."""
    header = _header(path)
    try:
        table = pacsv.read_csv(path, read_options=_read_options(path, header),
                               convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False))
    except pa.ArrowInvalid:
        raise _bad_row(path, len(header)) from None
    return table, header


def _read_accounts(path: Path, ctx: Context) -> tuple[pa.Table, list[str]]:
    """The accounts, and the currencies they report in (``acct_rptng_crncy``)."""
    table, header = _read_table(path)
    id_column = next((c for c in ACCOUNT_IDS if c in header), None)
    if id_column is None:
        _require(path, header, ["acct_id"])
    assert id_column is not None
    where = str(path)
    ids = pc.utf8_trim_whitespace(table.column(id_column).combine_chunks())
    report(ctx.problems, required_text(ids), 2, where, N_("%(column)s is empty",
                                                          column=id_column))
    for item in pc.value_counts(ids).to_pylist():
        if item["counts"] > 1:
            ctx.problems.add(where, N_("%(column)s %(value)s appears %(count)s times",
                                       column=id_column, value=repr(item["values"]),
                                       count=item["counts"]))
    n = table.num_rows
    label_column = next((c for c in ACCOUNT_LABELS if c in header), None)
    label = pa.nulls(n, pa.bool_())
    if label_column is not None:
        values = table.column(label_column).combine_chunks()
        label, bad = _flags(values)
        report(ctx.problems, bad, 2, where, N_("%(column)s is neither true nor false",
                                                column=label_column), values)
    else:
        ctx.notes.append(N_("%(file)s has no label column (%(columns)s): its accounts are "
                            "not labelled", file=path.name, columns=", ".join(ACCOUNT_LABELS)))
    used = {id_column, label_column or id_column}
    bank = pa.nulls(n, pa.string())
    bank_column = next((c for c in ("bank_id", "BANK_ID") if c in header), None)
    if bank_column is not None:
        used.add(bank_column)
        text = pc.utf8_trim_whitespace(table.column(bank_column).combine_chunks())
        bank = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    country = pa.nulls(n, pa.string())
    country_column = next((c for c in ("country", "COUNTRY") if c in header), None)
    if country_column is not None:
        used.add(country_column)
        text = pc.utf8_upper(pc.utf8_trim_whitespace(
            table.column(country_column).combine_chunks()))
        two = pc.fill_null(pc.match_substring_regex(text, r"^[A-Z]{2}$"), False)
        country = pc.if_else(two, text, pa.scalar(None, pa.string()))
    currencies: list[str] = []
    if CURRENCY_COLUMN in header:
        used.add(CURRENCY_COLUMN)
        text = pc.utf8_upper(pc.utf8_trim_whitespace(
            table.column(CURRENCY_COLUMN).combine_chunks()))
        currencies = sorted(c for c in pc.unique(text).to_pylist() if c)
    _note_unkept(path, header, used, ctx)
    lines = pc.cast(pa.array(range(2, 2 + n), pa.int64()), pa.string())
    return pa.table({
        "account_id": ids, "bank": bank, "country": country,
        "kind": pa.repeat(pa.scalar("domestic", pa.string()), n), "label": label,
        "source_ref": pc.binary_join_element_wise(path.name, lines, ":"),
    }), currencies


def _use_accounts(path: Path, ctx: Context, state: _State) -> None:
    state.accounts, currencies = _read_accounts(path, ctx)
    state.accounts_file = path.name
    if not ctx.options.get("currency"):
        _reporting_currency(path, currencies, ctx, state)
    state.labelled = state.labelled or state.accounts.column("label").null_count == 0


def _reporting_currency(path: Path, currencies: list[str], ctx: Context,
                        state: _State) -> None:
    """Without option ``currency``, the amounts are in the one currency every account of
    ``accounts.csv`` reports in (AMLSim writes the simulation's currency there), not the
    base currency."""
    if len(currencies) > 1:
        ctx.notes.append(N_("%(file)s: the accounts report in several currencies "
                            "(%(currencies)s); the amounts are taken in %(currency)s (give "
                            "option currency)", file=path.name,
                            currencies=", ".join(currencies), currency=state.currency))
        return
    if not currencies or currencies[0] == state.currency:
        return
    currency, rate = _currency(ctx, currencies[0], f"{path}:1")
    if rate is None:
        return
    state.currency, state.rate = currency, rate
    ctx.notes.append(N_("%(file)s: amounts taken in %(currency)s, the currency the accounts "
                        "report in (%(column)s)", file=path.name, currency=currencies[0],
                        column=CURRENCY_COLUMN))


def _read_alerts(path: Path, ctx: Context, key: str, kind: str, *, by_alert: bool) -> _Patterns:
    """The typology of each alert transaction (or alert): the first one given counts."""
    table, header = _read_table(path)
    _require(path, header, [key, kind])
    keys = pc.utf8_trim_whitespace(table.column(key).combine_chunks())
    types = table.column(kind).combine_chunks()
    unknown: dict[str, int] = {}
    names = _pattern_names(types, unknown)
    first = pa.table({"key": keys, "row": pa.array(range(len(keys)), pa.int64())}).group_by(
        "key").aggregate([("row", "min")])
    rows = first.column("row_min")
    for word, count in sorted(unknown.items()):
        ctx.notes.append(N_plural("unknown typology %(name)s (%(count)s row of %(file)s): the "
                                  "laundering transactions of its alerts keep it as their "
                                  "label_pattern",
                                  "unknown typology %(name)s (%(count)s rows of %(file)s): the "
                                  "laundering transactions of its alerts keep it as their "
                                  "label_pattern", count, name=repr(word), count=count,
                                  file=path.name))
    return _Patterns(keys=pc.take(keys, rows).combine_chunks(),
                     names=pc.take(names, rows).combine_chunks(), by_alert=by_alert,
                     file=path.name)


def _note_2018_alerts(path: Path, ctx: Context) -> None:
    table, header = _read_table(path)
    _require(path, header, ["ACCOUNT_ID", "CHECK_NAME"])
    counts = pc.value_counts(pc.utf8_trim_whitespace(table.column("CHECK_NAME")
                                                     .combine_chunks())).to_pylist()
    shown = ", ".join(f"{c['values']}: {c['counts']}" for c in counts)
    ctx.notes.append(N_plural("%(file)s: %(count)s alerted account (%(patterns)s); its "
                              "typology is not kept, since the transactions file does not say "
                              "which transactions an alert covers",
                              "%(file)s: %(count)s alerted accounts (%(patterns)s); their "
                              "typology is not kept, since the transactions file does not say "
                              "which transactions an alert covers", table.num_rows,
                              file=path.name, count=table.num_rows, patterns=shown))


# -- the transactions -------------------------------------------------------------------------


def _stream(path: Path, header: list[str], cols: _Columns, ctx: Context, state: _State, *,
            cash_only: bool) -> None:
    _note_unkept(path, header, cols.used(), ctx)
    state.txn_files.append(str(path))
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                   strings_can_be_null=False)
    line = 2
    with ctx.progress.track(f"AMLSim {path.name}", file_size(path)) as bar:
        try:
            with csv_batches(path, bar, read_options=_read_options(path, header,
                                                                   block_size=BLOCK_SIZE),
                             convert_options=convert) as batches:
                for batch in batches:
                    _block(batch, line, path, cols, ctx, state, cash_only)
                    line += batch.num_rows
        except pa.ArrowKeyError as exc:
            raise _header_differs(path, exc) from None
        except pa.ArrowInvalid:
            raise _bad_row(path, len(header)) from None


def _bad_row(path: Path, width: int) -> InputError:
    """Name the first line the CSV reader could not take (a row of the wrong length, or text
    that is not UTF-8)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return InputError.single(f"{path}:{number}", N_("not UTF-8 text"))
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        for row in rows:
            if len(row) != width:
                return InputError.single(f"{path}:{rows.line_num}",
                                         N_("expected %(expected)s fields, found %(found)s",
                                            expected=width, found=len(row)))
    return InputError.single(str(path), N_("the file could not be read as CSV"))


def _block(batch: pa.RecordBatch, line: int, path: Path, cols: _Columns, ctx: Context,
           state: _State, cash_only: bool) -> None:
    where = str(path)
    n = batch.num_rows
    numbers = pa.array(np.arange(line, line + n, dtype=np.int64))
    lines = pc.cast(numbers, pa.string())
    source = pc.utf8_trim_whitespace(batch.column(cols.source))
    target = pc.utf8_trim_whitespace(batch.column(cols.target))
    for column, ids in ((cols.source, source), (cols.target, target)):
        report(ctx.problems, required_text(ids), line, where,
               N_("%(column)s is empty", column=column))
    amount, bad_amount = _amounts(batch.column(cols.amount))
    report(ctx.problems, bad_amount, line, where,
           N_("%(column)s is not a number", column=cols.amount), batch.column(cols.amount))
    report(ctx.problems, pc.fill_null(pc.less(amount, 0), False), line, where,
           N_("%(column)s is negative", column=cols.amount), batch.column(cols.amount))
    ts, bad_ts = _times(batch.column(cols.time), state.start_us, cols.step_us)
    report(ctx.problems, bad_ts, line, where,
           N_("%(column)s is neither a simulation step nor an ISO 8601 date",
              column=cols.time), batch.column(cols.time))
    if cols.id is not None:
        txn_id = pc.utf8_trim_whitespace(batch.column(cols.id))
        report(ctx.problems, required_text(txn_id), line, where,
               N_("%(column)s is empty", column=cols.id))
    else:
        txn_id = pc.binary_join_element_wise(path.stem, lines, ":")
    channel = pa.nulls(n, pa.string())
    if cols.channel is not None:
        text = pc.utf8_trim_whitespace(batch.column(cols.channel))
        channel = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    label = pa.nulls(n, pa.bool_())
    if cols.label is not None:
        state.labelled = True
        label, bad_label = _flags(batch.column(cols.label))
        report(ctx.problems, bad_label, line, where,
               N_("%(column)s is neither true nor false", column=cols.label),
               batch.column(cols.label))
    # Cash: the branch is the beneficiary of a CASH-IN and the originator of a CASH-OUT.
    kind = pc.utf8_upper(pc.fill_null(channel, ""))
    cash_in = pc.equal(kind, CASH_IN)
    cash_out = pc.equal(kind, CASH_OUT)
    if cash_only:
        report(ctx.problems, pc.invert(pc.or_(cash_in, cash_out)), line, where,
               N_("%(column)s is neither CASH-IN nor CASH-OUT", column=cols.channel),
               channel)
    if pc.any(pc.or_(cash_in, cash_out)).as_py():
        state.branches += [pc.filter(target, cash_in), pc.filter(source, cash_out)]
        target = pc.if_else(cash_in, pc.binary_join_element_wise("branch", target, ":"),
                            target)
        source = pc.if_else(cash_out, pc.binary_join_element_wise("branch", source, ":"),
                            source)
    for column, ids, branch in ((cols.source, source, cash_out), (cols.target, target, cash_in)):
        if state.accounts is not None:
            known = pc.is_in(ids, value_set=state.accounts.column("account_id"))
            unknown = pc.and_(pc.invert(pc.or_(known, branch)),
                              pc.invert(required_text(ids)))
            report(ctx.problems, unknown, line, where,
                   N_("%(column)s is not in %(file)s", column=column,
                      file=state.accounts_file), ids)
        else:
            state.ends.append(pc.filter(ids, pc.invert(branch)))
    pattern = _pattern(batch, txn_id, cols, state)
    if pattern is None:
        pattern = pa.nulls(n, pa.string())
    else:
        laundering = pc.fill_null(label, False)
        state.false_alerts += _count(pc.and_(pc.is_valid(pattern), pc.invert(laundering)))
        pattern = pc.if_else(laundering, pattern, pa.scalar(None, pa.string()))
    # PaySim names no typologies at all: a laundering row without one is no news there
    if cols.label is not None and (cols.alert is not None or state.patterns is not None):
        state.without_pattern += _count(pc.and_(pc.fill_null(label, False),
                                                pc.is_null(pattern)))
    if ctx.problems:
        return  # keep validating later blocks, but write nothing more
    state.ids.append(txn_id)
    ctx.writer.write_transactions(pa.table({
        "txn_id": txn_id,
        "ts": ts,
        "source": source,
        "target": target,
        "amount": pc.multiply(amount, state.rate),
        "amount_orig": amount,
        "currency_orig": pa.repeat(pa.scalar(state.currency, pa.string()), n),
        "channel": channel,
        "label": label,
        "label_pattern": pattern,
        "source_ref": pc.binary_join_element_wise(path.name, lines, ":"),
        "source_file": pa.repeat(pa.scalar(path.name, pa.string()), n),
        "source_line": numbers,
    }))


def _pattern(batch: pa.RecordBatch, txn_id: pa.Array, cols: _Columns,
             state: _State) -> pa.Array | None:
    found = state.patterns
    if found is None:
        return None
    if found.by_alert:
        if cols.alert is None:
            return None
        keys = pc.utf8_trim_whitespace(batch.column(cols.alert))
        return pc.take(found.names, pc.index_in(keys, value_set=found.keys))
    at = pc.index_in(txn_id, value_set=found.keys)
    found.seen[pc.drop_null(at).to_numpy(zero_copy_only=False)] = True
    return pc.take(found.names, at)


def _count(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def _note_alerts_not_found(state: _State, ctx: Context) -> None:
    """Alert transactions whose id no transaction has: the transactions file is a part of
    the run (or of another run), and their typologies are lost."""
    found = state.patterns
    if found is None or found.by_alert or not state.ids:
        return
    missing = int((~found.seen).sum())  # marked as the transactions were read (_pattern)
    if missing:
        ctx.notes.append(N_plural("%(count)s transaction of %(file)s is not among the "
                                  "transactions imported",
                                  "%(count)s transactions of %(file)s are not among the "
                                  "transactions imported", missing, count=missing,
                                  file=found.file))


def _check_unique_ids(state: _State, ctx: Context) -> None:
    if not state.ids:
        return
    ids = pa.chunked_array(state.ids, pa.string())
    state.ids = []
    if pc.count_distinct(ids).as_py() == len(ids):
        return
    counts = pc.value_counts(ids)
    repeated = pc.filter(counts, pc.greater(counts.field("counts"), 1)).to_pylist()
    where = ", ".join(state.txn_files)
    for item in repeated[:20]:
        ctx.problems.add(where, N_("transaction id %(value)s appears %(count)s times",
                                   value=repr(item["values"]), count=item["counts"]))
    if len(repeated) > 20:
        ctx.problems.add(where, N_("%(count)s further repeated transaction ids",
                                   count=len(repeated) - 20))


def _accounts(state: _State) -> pa.Table:
    parts: list[pa.Table] = []
    if state.accounts is not None:
        parts.append(state.accounts)
    elif state.ends:
        ids = pc.unique(pa.chunked_array(state.ends, pa.string()))
        parts.append(pa.table({"account_id": ids,
                               "kind": pa.repeat(pa.scalar("domestic", pa.string()),
                                                 len(ids))}))
    if state.branches:
        ids = pc.unique(pa.chunked_array(state.branches, pa.string()))
        parts.append(pa.table({
            "account_id": pc.binary_join_element_wise("branch", ids, ":"),
            "kind": pa.repeat(pa.scalar("cash", pa.string()), len(ids))}))
    if not parts:
        return pa.table({"account_id": pa.array([], pa.string()),
                         "kind": pa.array([], pa.string())})
    return pa.concat_tables(parts, promote_options="default")
