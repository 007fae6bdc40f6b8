"""Load transaction data from the formats investigators receive into a transaction set.

One entry point, :func:`ingest`, for every format; :func:`detect_format` guesses
the format from a file. Every import validates all rows before the set appears
on disk and reports each bad row or element with its location. :func:`check`
reads, parses and validates the same way and writes nothing: it answers what
the import would answer, without the time and disk of writing the set.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tocsin.errors import InputError
from tocsin.i18n import N_, N_plural
from tocsin.money.dataset import SetMeta, SetWriter
from tocsin.money.ingest import amlsim, bitcoin_etl, ethereum
from tocsin.money.ingest.base import Context, Problems, ProgressBar
from tocsin.money.rates import RateTable, resolve_rates

#: Format name -> module under ``tocsin.money.ingest`` that defines ``read(sources, ctx)``.
FORMATS: dict[str, str] = {
    "csv": "tabular",
    "amlworld": "amlworld",
    "amlsim": "amlsim",
    "goaml": "goaml",
    "camt053": "camt053",
    "ftm": "ftm",
    "bitcoin": "bitcoin",
    "ethereum": "ethereum",
}
ALIASES = {"btc": "bitcoin", "blk": "bitcoin", "xlsx": "csv", "excel": "csv", "tabular": "csv",
           "camt.053": "camt053", "followthemoney": "ftm", "jsonl": "ftm"}

AMLWORLD_HEADER = ("Timestamp,From Bank,Account,To Bank,Account,Amount Received,"
                   "Receiving Currency,Amount Paid,Payment Currency,Payment Format")

#: The note of an import whose label column holds no positive (laundering) value.
LABELS_NONE_POSITIVE = N_("labels: none positive")

__all__ = ["FORMATS", "LABELS_NONE_POSITIVE", "CheckReport", "IngestReport", "check",
           "detect_format", "ingest"]


@dataclass
class CheckReport:
    """What an import would produce (:func:`check`, which writes nothing)."""

    format: str
    base_currency: str
    sources: list[str]
    transactions: int
    accounts: int
    parties: int
    has_labels: bool
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.transactions / self.seconds if self.seconds > 0 else 0.0


@dataclass
class IngestReport(CheckReport):
    """What an import produced."""

    #: The new set's folder.
    target: Path = field(kw_only=True)


def normalise_format(fmt: str) -> str:
    name = fmt.strip().lower()
    name = ALIASES.get(name, name)
    if name not in FORMATS:
        raise InputError.single("format", N_("unknown format %(format)s; use one of "
                                             "%(choices)s", format=repr(fmt),
                                             choices=", ".join(sorted(FORMATS))))
    return name


def detect_format(path: Path) -> str:
    """Guess the format of a file or directory from its name and first bytes."""
    path = Path(path)
    if path.is_dir():
        names = {p.name.lower() for p in path.iterdir()}
        if amlsim.is_folder(names):
            return "amlsim"
        raise InputError.single(str(path), N_("cannot tell the format of this folder"))
    suffix = path.suffix.lower()
    if _is_bitcoin(path):
        return "bitcoin"
    if suffix in (".xlsx", ".xlsm"):
        return "csv"
    try:
        with path.open("rb") as handle:
            head = handle.read(8192).decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError.single(str(path), N_("cannot read: %(error)s",
                                              error=exc.strerror)) from None
    first_line = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    if suffix == ".xml" or head.lstrip("\ufeff \r\n\t").startswith("<"):
        if "camt.053" in head or "BkToCstmrStmt" in head:
            return "camt053"
        if "<report" in head:
            return "goaml"
        raise InputError.single(str(path), N_("XML that is neither goAML nor ISO 20022 "
                                              "camt.053"))
    if first_line.startswith("{") and '"schema"' in first_line and (
            suffix in (".jsonl", ".ndjson", ".ftm", ".json", ".ijson")
            or '"properties"' in first_line):
        # FtM tools write entities as .ijson, or under no suffix at all (followthemoney-store)
        return "ftm"
    if first_line.startswith(AMLWORLD_HEADER) or "BEGIN LAUNDERING ATTEMPT" in head \
            or _amlworld_copy(first_line):
        return "amlworld"
    columns = [c.strip() for c in first_line.split(",")]
    if first_line.startswith("hash,nonce,block_hash,block_number") or ethereum.kind_of(
            columns) in ("token_transfers", "blocks") or (
            ethereum.kind_of(columns) == "transactions" and {"nonce", "gas"} <= set(columns)):
        # the last: ethereum-etl's columns in another order (its BigQuery tables' exports)
        return "ethereum"
    if amlsim.is_header(first_line.split(",")):
        return "amlsim"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise InputError.single(str(path), N_("cannot tell the format of this file"))


def _amlworld_copy(first_line: str) -> bool:
    """An AMLworld file written back by pandas (``Account.1``, a row index first), or the
    one Multi-GNN formats (which the AMLworld importer refuses, saying what it is)."""
    if "Is Laundering" not in first_line:
        return False
    from tocsin.money.ingest import amlworld

    return amlworld.header_layout(first_line) is not None or amlworld.is_multi_gnn(first_line)


def _is_bitcoin(path: Path) -> bool:
    """Raw blocks (``blk*.dat``, hex dumps) or a Bitcoin Core RPC answer in JSON."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if bitcoin_etl.looks_like(head):
        return True
    if head[:4] in (b"\xf9\xbe\xb4\xd9", b"\x0b\x11\x09\x07", b"\x0a\x03\xcf\x40",
                    b"\xfa\xbf\xb5\xda"):
        return True
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if text[:1] in ("{", "["):
        return any(key in text for key in ('"merkleroot"', '"scriptPubKey"', '"txid"'))
    line = text.split("\n", 1)[0].strip()
    return len(line) >= 160 and all(c in "0123456789abcdefABCDEF" for c in line)


def ingest(
    fmt: str,
    sources: Sequence[Path | str],
    target_dir: Path | str,
    *,
    base_currency: str = "EUR",
    rates: RateTable | Path | str | None = None,
    mapping: Path | str | None = None,
    progress: bool = False,
    options: Mapping[str, Any] | None = None,
) -> IngestReport:
    """Import ``sources`` of format ``fmt`` into a new transaction set at ``target_dir``.

    All or nothing: on any problem :class:`InputError` lists every bad row or
    element and ``target_dir`` is not created. ``rates`` is a rate table or a
    YAML/CSV file (default: the indicative table shipped with Tocsin);
    ``mapping`` is the YAML column mapping of the generic CSV/Excel format;
    ``options`` carries format-specific settings (AMLSim ``start`` and
    ``currency``, AMLworld ``patterns``).
    """
    report, target = _run(fmt, sources, Path(target_dir), base_currency=base_currency,
                          rates=rates, mapping=mapping, progress=progress, options=options)
    assert target is not None
    return IngestReport(**vars(report), target=target)


def check(
    fmt: str,
    sources: Sequence[Path | str],
    *,
    base_currency: str = "EUR",
    rates: RateTable | Path | str | None = None,
    mapping: Path | str | None = None,
    progress: bool = False,
    options: Mapping[str, Any] | None = None,
) -> CheckReport:
    """Check ``sources`` as :func:`ingest` would import them, and write nothing.

    Every file is read, parsed and validated row by row by the same reader, converted
    with the same rate table and checked against the set's schema (required values,
    account kinds, unique ids, the row limit); the answer is the import's: the same
    :class:`InputError` listing every problem, or a report of what the set would hold.
    Only writing the Parquet files is left out. A reader that works
    on files of its own (Bitcoin's resolution of spent outputs) uses a scratch folder
    in the system's temporary directory, removed before returning.
    """
    return _run(fmt, sources, None, base_currency=base_currency, rates=rates,
                mapping=mapping, progress=progress, options=options)[0]


def _run(
    fmt: str,
    sources: Sequence[Path | str],
    target_dir: Path | None,
    *,
    base_currency: str,
    rates: RateTable | Path | str | None,
    mapping: Path | str | None,
    progress: bool,
    options: Mapping[str, Any] | None,
) -> tuple[CheckReport, Path | None]:
    """Import into ``target_dir``, or only check when it is None; the counts, and the set's
    folder."""
    name = normalise_format(fmt)
    paths = [Path(s) for s in sources]
    if not paths:
        raise InputError.single("sources", N_("no input files given"))
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise InputError.single(str(missing[0]), N_("file not found"))
    table = resolve_rates(rates, base_currency)
    reader = importlib.import_module(f"tocsin.money.ingest.{FORMATS[name]}")
    started = time.perf_counter()
    with SetWriter(target_dir, check=target_dir is None) as writer:
        ctx = Context(writer=writer, rates=table, base_currency=table.base, problems=Problems(),
                      progress=ProgressBar(progress), mapping=Path(mapping) if mapping else None,
                      options=dict(options or {}))
        try:
            reader.read(paths, ctx)
        except pa.ArrowInvalid as exc:
            ctx.problems.add(", ".join(str(p) for p in paths), _arrow_reason(exc))
        if ctx.problems:
            raise InputError(ctx.problems.as_list(),
                             summary=N_plural(
                                 "%(count)s problem in the %(format)s import; nothing was "
                                 "written",
                                 "%(count)s problems in the %(format)s import; nothing was "
                                 "written", len(ctx.problems), count=len(ctx.problems),
                                 format=name))
        if ctx.has_labels and not writer.positive_labels:
            ctx.notes.append(LABELS_NONE_POSITIVE)
        meta = SetMeta(format=name, base_currency=table.base,
                       sources=[p.name for p in (ctx.files or paths)],
                       transactions=0, accounts=0, parties=0,
                       has_labels=ctx.has_labels, notes=ctx.notes)
        target = writer.commit(meta)
    return CheckReport(
        format=name, base_currency=table.base, sources=meta.sources,
        transactions=meta.transactions, accounts=meta.accounts, parties=meta.parties,
        has_labels=meta.has_labels, seconds=time.perf_counter() - started, notes=ctx.notes,
    ), target


def _arrow_reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return N_("the file is not valid for this format (%(error)s)", error=text)
