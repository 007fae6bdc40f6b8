"""One fuzz target per importer: raw bytes in, an import or the platform's own input error out.

A target feeds its bytes to the same function the web and the command line
call. It may succeed or raise :class:`~tocsin.errors.TocsinError` (the clear,
located error a user sees); any other exception, a hang or runaway memory is a
bug. Importers that read files get the bytes as a file in a scratch folder.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = Path(__file__).resolve().parent / "corpus"
#: Two files in one input (AMLSim's nodes and transactions): split at this marker.
SEPARATOR = b"\n\x00\x00\n"


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    about: str

    @property
    def corpus(self) -> Path:
        return CORPUS / self.name


@cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="tocsin-fuzz-"))


def own_scratch() -> None:
    """Give this process a scratch folder of its own: targets forked side by side must not
    share the files they write. The migrated database of ``_platform`` stays shared, and is
    only read (``backup_restore`` restores into a copy)."""
    _scratch.cache_clear()


def _file(name: str, data: bytes) -> Path:
    path = _scratch() / name
    path.write_bytes(data)
    return path


def _ingest(fmt: str, files: dict[str, bytes], **kwargs: Any) -> None:
    from tocsin.money.ingest import ingest

    target = _scratch() / "set"
    try:
        ingest(fmt, [_file(name, data) for name, data in files.items()], target, **kwargs)
    finally:
        shutil.rmtree(target, ignore_errors=True)


@cache
def _platform() -> tuple[Any, Any]:
    """A migrated SQLite database with the reference data, and its vocabulary."""
    from tocsin.reference.load import sync_reference
    from tocsin.reference.registry import load_registry
    from tocsin.store import migrate
    from tocsin.store.database import Database
    from tocsin.taskforce.programmes.vocabulary import Vocabulary

    path = _scratch() / "platform.db"
    db = Database.from_url(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.transaction() as session:
        sync_reference(session, load_registry())
        vocab = Vocabulary.load(session)
    db.engine.dispose()
    return path, vocab


def prepare() -> None:
    """Build once, before the first timed input (and before targets are forked one by one
    from the same process), what the targets would otherwise build on the way: the
    migrated database, and the territory-name index FollowTheMoney builds on its first
    unknown country (seconds; on a busy machine more than libFuzzer's 10-second mark for a
    slow input)."""
    from followthemoney.types import registry

    _platform()
    registry.country.clean("no such country")


def goaml(data: bytes) -> None:
    _ingest("goaml", {"report.xml": data})


def camt053(data: bytes) -> None:
    _ingest("camt053", {"statement.xml": data})


def amlworld(data: bytes) -> None:
    _ingest("amlworld", {"Fuzz_Trans.csv": data})


def amlworld_patterns(data: bytes) -> None:
    _ingest("amlworld", {"Tiny_Trans.csv": (FIXTURES / "money/amlworld/Tiny_Trans.csv")
                         .read_bytes(), "Tiny_Patterns.txt": data})


def amlsim(data: bytes) -> None:
    nodes, _, transactions = data.partition(SEPARATOR)
    _ingest("amlsim", {"nodes.csv": nodes, "transactions.csv": transactions})


def csv_mapping(data: bytes) -> None:
    """A bank export read through a column mapping (the generic CSV importer)."""
    _ingest("csv", {"export.csv": data},
            mapping=FIXTURES / "money/tabular/bank_export.yaml")


def excel_mapping(data: bytes) -> None:
    """An Excel workbook read through a column mapping (zip and XML inside)."""
    _ingest("csv", {"ledger.xlsx": data}, mapping=FIXTURES / "money/tabular/ledger.yaml")


def mapping_file(data: bytes) -> None:
    """The YAML column mapping itself, applied to a good export."""
    _ingest("csv", {"export.csv": (FIXTURES / "money/tabular/bank_export.csv").read_bytes()},
            mapping=_file("mapping.yaml", data))


def iati(data: bytes) -> None:
    from tocsin.taskforce.iati.reader import read_activities

    read_activities(io.BytesIO(data), _platform()[1])


def indicators(data: bytes) -> None:
    """The threat-indicator CSV, read as the import reads an uploaded file."""
    from tocsin.coherence.threats import parse_csv
    from tocsin.errors import InputError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single("indicators.csv", f"not UTF-8 text ({exc.reason})") from exc
    parse_csv(text, {"drug_trafficking", "money_laundering"}, {"AL", "RS", "MD"},
              "indicators.csv")


def programmes_csv(data: bytes) -> None:
    from tocsin.taskforce.tabular.exchange import read_table

    read_table(io.BytesIO(data), "csv", _platform()[1])


def programmes_xlsx(data: bytes) -> None:
    from tocsin.taskforce.tabular.exchange import read_table

    read_table(io.BytesIO(data), "xlsx", _platform()[1])


def backup_restore(data: bytes) -> None:
    """A backup zip restored into a copy of a migrated database."""
    from tocsin.store.backup import restore
    from tocsin.store.engine import make_engine

    database = _scratch() / "restore.db"
    shutil.copy(_platform()[0], database)
    data_dir = _scratch() / "restore-data"
    engine = make_engine(f"sqlite:///{database}")
    try:
        restore(engine, data_dir, _file("backup.zip", data))
    finally:
        engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


def bitcoin_blk(data: bytes) -> None:
    _ingest("bitcoin", {"blk00000.dat": data})


def bitcoin_json(data: bytes) -> None:
    _ingest("bitcoin", {"getblock.json": data})


def bitcoin_etl(data: bytes) -> None:
    """A bitcoin-etl transactions export (JSON lines or CSV) with the blocks of the fixture."""
    _ingest("bitcoin", {"transactions.json": data,
                        "blocks.json": (FIXTURES / "crypto" / "etl-blocks.json").read_bytes()})


def ethereum_csv(data: bytes) -> None:
    _ingest("ethereum", {"transactions.csv": data})


def ethereum_tokens(data: bytes) -> None:
    """An ethereum-etl token_transfers.csv, timed by the blocks.csv of the fixture."""
    _ingest("ethereum", {"token_transfers.csv": data,
                         "blocks.csv": (FIXTURES / "crypto" / "eth-blocks.csv").read_bytes()})


def ftm_set(data: bytes) -> None:
    _ingest("ftm", {"entities.jsonl": data})


def tagpack(data: bytes) -> None:
    from tocsin.money.crypto.tags import read_tagpack

    read_tagpack(_file("tagpack.yaml", data))


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("goaml", goaml, "goAML XML reports"),
    Target("camt053", camt053, "ISO 20022 camt.053 bank statements"),
    Target("amlworld", amlworld, "AMLworld transaction CSV"),
    Target("amlworld-patterns", amlworld_patterns, "AMLworld laundering patterns file"),
    Target("amlsim", amlsim, "AMLSim nodes and transactions CSV"),
    Target("csv-mapping", csv_mapping, "generic CSV through a column mapping"),
    Target("excel-mapping", excel_mapping, "generic Excel through a column mapping"),
    Target("mapping-file", mapping_file, "the YAML column mapping"),
    Target("iati", iati, "IATI activity XML"),
    Target("indicators", indicators, "threat indicator CSV"),
    Target("programmes-csv", programmes_csv, "programme template, CSV"),
    Target("programmes-xlsx", programmes_xlsx, "programme template, Excel"),
    Target("backup-restore", backup_restore, "backup zip restore"),
    Target("bitcoin-blk", bitcoin_blk, "Bitcoin Core blk*.dat block files"),
    Target("bitcoin-json", bitcoin_json, "Bitcoin Core RPC JSON (getblock, getrawtransaction)"),
    Target("bitcoin-etl", bitcoin_etl, "bitcoin-etl transactions export (JSON lines, CSV)"),
    Target("ethereum-csv", ethereum_csv, "ethereum-etl transactions CSV"),
    Target("ethereum-tokens", ethereum_tokens, "ethereum-etl token transfers CSV"),
    Target("tagpack", tagpack, "TagPack YAML (attributions of Bitcoin addresses)"),
    Target("ftm-set", ftm_set, "FollowTheMoney entities into a transaction set"),
)}


def expected_errors() -> tuple[type[BaseException], ...]:
    """What a target may raise: the platform's own, located input errors."""
    from tocsin.errors import TocsinError

    return (TocsinError,)
