"""What every importer shares: the problem list, progress, the context handed to a reader."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from tocsin.errors import Problem
from tocsin.i18n import N_, N_plural, format_size
from tocsin.money.dataset import SetWriter
from tocsin.money.rates import RateTable
from tocsin.money.schema import ACCOUNTS, PARTIES

#: Past this many problems an import stops collecting details and only counts.
MAX_PROBLEMS = 1000


#: A currency sign, or an ISO 4217 code, written before or after an amount.
_DECORATION = re.compile(r"^(?:[A-Z]{3}|[€$£¥₽₹₺₴₪₩])|(?:[A-Z]{3}|[€$£¥₽₹₺₴₪₩])$")
_SPACES = re.compile(r"[ \u00a0\u202f]")


def signed_amount(text: str) -> str | None:
    """An amount as banks also write it, undressed, its sign in front: without a currency
    sign or code, spaces (a thousands separator), a trailing minus (``123.45-``),
    accounting parentheses (``(45.00)``) or a Unicode minus; ``-$45.00`` and ``$-45.00``
    alike. None when it carries two signs. What is left is for the caller to read as a
    number (in the file's decimal form)."""
    text = _SPACES.sub("", text).replace("\u2212", "-")
    negative = signed = False
    if text.startswith("(") and text.endswith(")"):
        text, negative = text[1:-1], True
    elif text.endswith("-") and not text.startswith("-"):
        text, negative = text[:-1], True
    for _ in range(2):
        text = _DECORATION.sub("", text)
        if text.startswith(("-", "+")) and not signed and not negative:
            negative, signed, text = text[0] == "-", True, text[1:]
    if text.startswith(("-", "+")):
        return None
    return f"-{text}" if negative else text


def some_places(places: Sequence[str], count: int) -> str:
    """The first places found, and how many more there are (for a note)."""
    text = ", ".join(places)
    if count > len(places):
        text = N_("%(places)s and %(count)s more", places=text, count=count - len(places))
    return text


#: Lines a note names (the rest are counted).
LINES_SHOWN = 5


@dataclass
class FewLines:
    """Lines counted as they are found, the first :data:`LINES_SHOWN` kept to be named (a
    file may have millions)."""

    first: list[int] = field(default_factory=list)
    count: int = 0

    def add(self, lines: Sequence[int] | np.ndarray) -> None:
        self.count += len(lines)
        self.first += [int(n) for n in lines[:LINES_SHOWN - len(self.first)]]

    def places(self) -> str:
        return some_places([str(n) for n in self.first], self.count)


#: Names pandas gives its own row index when it writes a frame back (``to_csv``).
INDEX_NAMES = ("", "Unnamed: 0")


def index_column_note(name: str) -> str:
    """The note of a file whose first column is such a row index, left out."""
    return N_("%(file)s: the first column is a row index added by the program that wrote "
              "the file; it is not kept", file=name)


def empty_lines_note(name: str, lines: FewLines) -> str:
    """The note of a CSV file whose empty ``lines`` were skipped."""
    return N_plural("%(file)s: %(count)s empty line skipped (line %(lines)s)",
                    "%(file)s: %(count)s empty lines skipped (lines %(lines)s)", lines.count,
                    file=name, count=lines.count, lines=lines.places())


_MIX = np.uint64(0x9E3779B97F4A7C15)


def mix_keys(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One 64-bit hash per row of equally long numeric columns (their bits are mixed)."""
    with np.errstate(over="ignore"):
        key = np.zeros(len(parts[0]), np.uint64)
        for part in parts:
            key = (key ^ part.view(np.uint64)) * _MIX
            key ^= key >> np.uint64(29)
    return key


def repeats_note(count: int, places: Sequence[str]) -> str:
    return N_("%(count)s transactions repeat an earlier row exactly (%(places)s); each is kept "
              "as a payment of its own", count=count, places=some_places(places, count))


@dataclass
class RowRepeats:
    """Finds rows that repeat an earlier row exactly, over every file of the import.

    Rows are compared by a hash of their values and then, for the few whose hashes
    repeat, by their accounts as text; the accounts are the blocks' own arrays.
    """

    keys: list[np.ndarray] = field(default_factory=list)
    sources: list[pa.Array] = field(default_factory=list)
    targets: list[pa.Array] = field(default_factory=list)
    #: each block's file and lines: its first line when the lines follow each other
    lines: list[tuple[str, np.ndarray | int]] = field(default_factory=list)

    def add(self, key: np.ndarray, source: pa.Array, target: pa.Array, name: str,
            lines: np.ndarray | int) -> None:
        """One block: its rows' hashes (:func:`mix_keys`), accounts, file and lines (the
        line of each row, or the first when they follow each other)."""
        self.keys.append(key)
        self.sources.append(source)
        self.targets.append(target)
        self.lines.append((name, lines))

    def finish(self, shown: int = 3) -> tuple[int, list[str]]:
        """How many rows repeat an earlier one, and where the first ``shown`` of them are."""
        keys, sources, targets, lines = self.keys, self.sources, self.targets, self.lines
        self.keys, self.sources, self.targets, self.lines = [], [], [], []
        if not keys:
            return 0, []
        ordered = np.concatenate(keys)
        ordered.sort()
        again = ordered[1:][ordered[1:] == ordered[:-1]]
        del ordered
        if not len(again):
            return 0, []
        # the rows whose hash repeats, block by block (no copy of the whole file's arrays)
        value_set = pa.array(np.unique(again))
        parts: dict[str, list[pa.Array]] = {"key": [], "source": [], "target": [], "pos": []}
        first = 0
        for block, key in enumerate(keys):
            hit = pc.indices_nonzero(pc.is_in(pa.array(key), value_set=value_set))
            if len(hit):
                parts["key"].append(pc.take(key, hit))
                parts["source"].append(pc.take(sources[block], hit))
                parts["target"].append(pc.take(targets[block], hit))
                parts["pos"].append(pc.add(pc.cast(hit, pa.int64()), first))
            first += len(key)
        table = pa.table({name: pa.chunked_array(arrays) for name, arrays in parts.items()})
        earliest = table.group_by(["key", "source", "target"]).aggregate([("pos", "min")])
        joined = table.join(earliest, keys=["key", "source", "target"])
        later = pc.filter(joined.column("pos"),
                          pc.not_equal(joined.column("pos"), joined.column("pos_min")))
        positions = np.sort(later.to_numpy())
        starts = np.cumsum([0, *(len(k) for k in keys)])
        places = []
        for pos in positions[:shown].tolist():
            block = int(np.searchsorted(starts, pos, side="right")) - 1
            name, block_lines = lines[block]
            offset = pos - int(starts[block])
            line = block_lines + offset if isinstance(block_lines, int) \
                else int(block_lines[offset])
            places.append(f"{name}:{line}")
        return len(positions), places




class Problems:
    """Every bad row or element found, capped so a broken 10 GB file cannot exhaust memory."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.items: list[Problem] = []
        self.dropped = 0
        self.limit = limit

    def add(self, location: str, reason: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(Problem(location, reason))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + self.dropped

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def as_list(self) -> list[Problem]:
        if self.dropped:
            return [*self.items, Problem("(more)", N_plural(
                "%(count)s further problem not listed", "%(count)s further problems not listed",
                self.dropped, count=self.dropped))]
        return list(self.items)


class _Read(ProgressColumn):
    """Bytes read of the file's size in the command's language (rich's own column says
    ``bytes`` and ``kB`` whatever the language)."""

    def render(self, task: Task) -> Text:
        total = format_size(task.total) if task.total is not None else "?"
        return Text(f"{format_size(task.completed)}/{total}", style="progress.download")


class _Speed(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?" if speed is None else f"{format_size(speed)}/s",
                    style="progress.data.speed")


class ProgressBar:
    """A rich progress bar over bytes read, or a silent stand-in when not asked for."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @contextmanager
    def track(self, label: str, total: int | None) -> Iterator[ProgressBar]:
        if not self.enabled:
            yield self
            return
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), _Read(), _Speed(),
            TimeRemainingColumn(), transient=False,
        )
        with self._progress:
            self._task = self._progress.add_task(label, total=total)
            try:
                yield self
            finally:
                if total is not None:
                    self._progress.update(self._task, completed=total)
                self._progress = None
                self._task = None

    def update(self, completed: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=completed)


def json_decimal(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, exactly (``json.loads(...,
    parse_float=json_decimal)``). An exponent beyond what :class:`Decimal` holds raises
    ``ValueError``, as a number of too many digits does, not ``InvalidOperation``."""
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"the number {text[:40]} is out of range") from None


@contextmanager
def csv_batches(path: Path, bar: ProgressBar,
                **options: Any) -> Iterator[Iterator[pa.RecordBatch]]:
    """Stream a CSV file's record batches, moving ``bar`` as each one arrives.

    The file is opened natively: the reader reads ahead on Arrow's own threads, and
    reading a Python file object from there calls back into Python, so a read still
    pending when a bad row ends the import aborts the interpreter at exit.
    """
    with pa.OSFile(str(path)) as source:
        reader = pacsv.open_csv(source, **options)

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                bar.update(source.tell())
                yield batch

        try:
            yield batches()
        finally:
            reader.close()


class TrackedFile:
    """A binary file whose read position drives a progress bar."""

    def __init__(self, handle: IO[bytes], bar: ProgressBar) -> None:
        self._handle = handle
        self._bar = bar
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._bar.update(self._handle.tell())
        return data

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


@dataclass
class Context:
    """Everything a format reader needs; the reader streams rows into ``writer``."""

    writer: SetWriter
    rates: RateTable
    base_currency: str
    problems: Problems
    progress: ProgressBar
    mapping: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    has_labels: bool = False
    #: The files actually read (a folder source expands to its files).
    files: list[Path] = field(default_factory=list)


def file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def accounts_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=ACCOUNTS)


def parties_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=PARTIES)


def merge_account(accounts: dict[str, dict[str, Any]], row: dict[str, Any]) -> None:
    """Add an account row, or complete the one already seen with what this row adds.

    A field stays as first seen unless it was empty; the kind is upgraded from
    ``unknown`` to whatever this row knows, and ``domestic`` (the reporting
    institution's own account) wins over any other kind.
    """
    known = accounts.get(row["account_id"])
    if known is None:
        accounts[row["account_id"]] = row
        return
    for key in ("bank", "country", "party_id"):
        if known.get(key) is None and row.get(key) is not None:
            known[key] = row[key]
    if row["kind"] == "domestic" or known["kind"] == "unknown":
        known["kind"] = row["kind"]


def flush_transactions(ctx: Context, rows: list[dict[str, Any]]) -> None:
    """Convert collected transaction rows into the base currency and stream them to the set.

    ``rows`` is emptied. Nothing is written once a problem was found: the
    import fails anyway and converting would only cost time.
    """
    if not rows or ctx.problems:
        rows.clear()
        return
    table = pa.Table.from_pylist(rows)
    first_ref = rows[0]["source_ref"]
    rows.clear()
    ts = pc.cast(table.column("ts"), pa.timestamp("us", tz="UTC"))
    amount, unknown = ctx.rates.convert(table.column("amount_orig"),
                                        table.column("currency_orig"), ts)
    if pc.any(unknown).as_py():
        ctx.problems.add(first_ref, N_("no exchange rate for the currency"))
        return
    ts_index = table.column_names.index("ts")
    ctx.writer.write_transactions(table.set_column(ts_index, "ts", ts).append_column(
        "amount", amount))


class ParquetRowWriter:
    """Rows written to one Parquet file a row group at a time.

    An export of a chain can hold hundreds of millions of rows: they are buffered
    ``group_rows`` at a time and each full buffer is written as one row group, so the
    memory an import holds stays bounded whatever the size of the chain. Without ``path``
    (a check, which writes nothing) the rows are dropped. The file and its folder are
    made at the first row group; with ``empty_file`` :meth:`close` writes a file with the
    schema and no rows when none came, otherwise no file is made.
    """

    def __init__(self, path: Path | None, schema: pa.Schema, group_rows: int, *,
                 compression: str, empty_file: bool = False) -> None:
        self.path = path
        self.schema = schema
        self.group_rows = group_rows
        self.compression = compression
        self.empty_file = empty_file
        self.rows: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.group_rows:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one row group."""
        if not self.rows or self.path is None:
            self.rows.clear()
            return
        table = pa.Table.from_pylist(self.rows, schema=self.schema)
        self.rows.clear()
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema,
                                            compression=self.compression)
        self._writer.write_table(table)

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        elif self.empty_file and self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(self.schema.empty_table(), self.path, compression=self.compression)
