"""One fuzz target per importer: raw bytes in, an import or the platform's own input error out.

A target feeds its bytes to the same function the web and the command line
call. It may succeed or raise :class:`~tocsin.errors.TocsinError` (the clear,
located error a user sees); any other exception, a hang or runaway memory is a
bug. Importers that read files get the bytes as a file in a scratch folder.

Importers that write (a transaction set, a restored database) are fuzzed through
their check, which reads, parses and validates every row exactly as the import
does and writes nothing (:func:`tocsin.money.ingest.check`,
:func:`tocsin.store.backup.check`): writing costs most of the time of an accepted
input and is the same code for every input. :meth:`Target.write` runs the full
import instead; the short run of every suite run fuzzes that path too.
"""

from __future__ import annotations

import io
import os
import re
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
#: A file name a folder of several files may hold (no path, nothing hidden).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Target:
    name: str
    #: Feeds one input to the importer: ``fuzz(data, write)``; ``write`` False checks only.
    fuzz: Callable[[bytes, bool], None]
    about: str
    #: Whether the import writes beyond its check (a set, a database): then the checked
    #: path and the writing path are two things to fuzz.
    writes: bool = False
    #: Seeds made afresh for each run, for inputs that only hold for the running version
    #: (a backup names the schema revisions it restores onto).
    fresh: Callable[[], list[bytes]] | None = None

    @property
    def corpus(self) -> Path:
        return CORPUS / self.name

    def run(self, data: bytes) -> None:
        """The path long runs fuzz: read, parse, validate (the check of a writing import)."""
        self.fuzz(data, False)

    def write(self, data: bytes) -> None:
        """The full import, writing what it imports."""
        self.fuzz(data, True)


@cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="tocsin-fuzz-"))


def own_scratch() -> None:
    """Give this process a scratch folder of its own: targets forked side by side must not
    share the files they write. The migrated database of ``_platform`` stays shared, and is
    only read (``backup_restore`` restores into a copy)."""
    _scratch.cache_clear()


@cache
def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _file(name: str, data: bytes) -> Path:
    path = _scratch() / name
    path.write_bytes(data)
    return path


def _named_files(data: bytes) -> dict[str, bytes]:
    """A folder of files in one input: each written ``name\\n`` + its bytes, the files split
    at :data:`SEPARATOR`; a name that is not a plain file name is given one."""
    files: dict[str, bytes] = {}
    for k, part in enumerate(data.split(SEPARATOR)):
        name, _, body = part.partition(b"\n")
        text = name.decode("ascii", "replace")
        files[text if _PLAIN_NAME.fullmatch(text) else f"part{k}.csv"] = body
    return files


def _folder(folder: str, files: dict[str, bytes]) -> list[Path]:
    """``files`` written to a ``folder`` of the scratch folder, emptied first (for names
    the input chooses)."""
    shutil.rmtree(_scratch() / folder, ignore_errors=True)
    (_scratch() / folder).mkdir()
    return [_file(f"{folder}/{name}", data) for name, data in files.items()]


def _ingest(fmt: str, files: dict[str, bytes], write: bool, folder: str = "",
            **kwargs: Any) -> None:
    """Import ``files`` written to the scratch folder, or to a ``folder`` of it."""
    from tocsin.money.ingest import check, ingest

    sources = (_folder(folder, files) if folder
               else [_file(name, data) for name, data in files.items()])
    if not write:
        check(fmt, sources, **kwargs)
        return
    target = _scratch() / "set"
    try:
        ingest(fmt, sources, target, **kwargs)
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
    slow input). Temporary files go to memory from here on, where the system has it."""
    from followthemoney.types import registry

    # temporary files in memory where the system has it: a file or two per input on a busy
    # disk cost milliseconds (mkdtemp makes private folders inside)
    shm = Path("/dev/shm")  # noqa: S108
    if shm.is_dir() and os.access(shm, os.W_OK):
        tempfile.tempdir = str(shm)
    _platform()
    registry.country.clean("no such country")


def goaml(data: bytes, write: bool) -> None:
    _ingest("goaml", {"report.xml": data}, write)


def camt053(data: bytes, write: bool) -> None:
    _ingest("camt053", {"statement.xml": data}, write)


def amlworld(data: bytes, write: bool) -> None:
    _ingest("amlworld", {"Fuzz_Trans.csv": data}, write)


def amlworld_patterns(data: bytes, write: bool) -> None:
    _ingest("amlworld", {"Tiny_Trans.csv": _fixture("money/amlworld/Tiny_Trans.csv"),
                         "Tiny_Patterns.txt": data}, write)


def amlsim(data: bytes, write: bool) -> None:
    nodes, _, transactions = data.partition(SEPARATOR)
    _ingest("amlsim", {"nodes.csv": nodes, "transactions.csv": transactions}, write)


def amlsim_outputs(data: bytes, write: bool) -> None:
    """AMLSim's other layouts (converted outputs, tx_log.csv, the 2018 sample), PaySim's
    log: a folder of files (:func:`_named_files`)."""
    _ingest("amlsim", _named_files(data), write, folder="outputs")


def csv_mapping(data: bytes, write: bool) -> None:
    """A bank export read through a column mapping (the generic CSV importer)."""
    _ingest("csv", {"export.csv": data}, write,
            mapping=FIXTURES / "money/tabular/bank_export.yaml")


def excel_mapping(data: bytes, write: bool) -> None:
    """An Excel workbook read through a column mapping (zip and XML inside)."""
    _ingest("csv", {"ledger.xlsx": data}, write, mapping=FIXTURES / "money/tabular/ledger.yaml")


def mapping_file(data: bytes, write: bool) -> None:
    """The YAML column mapping itself, applied to a good export."""
    _ingest("csv", {"export.csv": _fixture("money/tabular/bank_export.csv")}, write,
            mapping=_file("mapping.yaml", data))


def iati(data: bytes, write: bool = False) -> None:
    from tocsin.taskforce.iati.reader import read_activities

    read_activities(io.BytesIO(data), _platform()[1])


def iati_organisations(data: bytes, write: bool = False) -> None:
    from tocsin.taskforce.iati.organisations import read_organisations

    read_organisations(io.BytesIO(data))


def _screening_list(fmt: str, name: str) -> Callable[[bytes, bool], None]:
    """A sanctions list file read in list format ``fmt`` (the OFAC CSV set: a folder of
    files, :func:`_named_files`), as an import reads it before anything is stored."""
    def read(data: bytes, write: bool = False) -> None:
        from tocsin.screening.readers import read_list

        paths = (_folder("list", _named_files(data)) if fmt == "ofac_csv"
                 else [_file(name, data)])
        read_list(fmt, paths)

    return read


def indicators(data: bytes, write: bool = False) -> None:
    """The threat-indicator CSV, read as the import reads an uploaded file."""
    from tocsin.coherence.threats import parse_csv
    from tocsin.errors import InputError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single("indicators.csv", f"not UTF-8 text ({exc.reason})") from exc
    parse_csv(text, {"drug_trafficking", "money_laundering"}, {"AL", "RS", "MD"},
              "indicators.csv")


def programmes_csv(data: bytes, write: bool = False) -> None:
    from tocsin.taskforce.tabular.exchange import read_table

    read_table(io.BytesIO(data), "csv", _platform()[1])


def programmes_xlsx(data: bytes, write: bool = False) -> None:
    from tocsin.taskforce.tabular.exchange import read_table

    read_table(io.BytesIO(data), "xlsx", _platform()[1])


def backup_seed() -> bytes:
    """A backup of the migrated database, with one stored file: the seed of backup-restore."""
    from tocsin.store.backup import backup
    from tocsin.store.engine import make_engine

    folder = Path(tempfile.mkdtemp(prefix="tocsin-seed-"))
    (folder / "data" / "documents").mkdir(parents=True)
    (folder / "data" / "documents" / "note.txt").write_text("a document\n")
    engine = make_engine(f"sqlite:///{_platform()[0]}")
    try:
        backup(engine, folder / "data", folder / "seed.zip")
    finally:
        engine.dispose()
    data = (folder / "seed.zip").read_bytes()
    shutil.rmtree(folder)
    return data


@cache
def _platform_engine() -> Any:
    """An engine on the shared migrated database, which a backup check only reads."""
    from tocsin.store.engine import make_engine

    return make_engine(f"sqlite:///{_platform()[0]}")


def backup_restore(data: bytes, write: bool) -> None:
    """A backup zip checked against the migrated database, or restored into a copy of it."""
    from tocsin.store.backup import check, restore
    from tocsin.store.engine import make_engine

    if not write:
        check(_platform_engine(), _scratch() / "restore-data", _file("backup.zip", data))
        return
    database = _scratch() / "restore.db"
    shutil.copy(_platform()[0], database)
    data_dir = _scratch() / "restore-data"
    engine = make_engine(f"sqlite:///{database}")
    try:
        restore(engine, data_dir, _file("backup.zip", data))
    finally:
        engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


def bitcoin_blk(data: bytes, write: bool) -> None:
    _ingest("bitcoin", {"blk00000.dat": data}, write)


def bitcoin_json(data: bytes, write: bool) -> None:
    _ingest("bitcoin", {"getblock.json": data}, write)


def bitcoin_etl(data: bytes, write: bool) -> None:
    """A bitcoin-etl transactions export (JSON lines or CSV) with the blocks of the fixture."""
    _ingest("bitcoin", {"transactions.json": data,
                        "blocks.json": _fixture("crypto/etl-blocks.json")}, write)


def ethereum_csv(data: bytes, write: bool) -> None:
    _ingest("ethereum", {"transactions.csv": data}, write)


def ethereum_tokens(data: bytes, write: bool) -> None:
    """An ethereum-etl token_transfers.csv, timed by the blocks.csv of the fixture."""
    _ingest("ethereum", {"token_transfers.csv": data,
                         "blocks.csv": _fixture("crypto/eth-blocks.csv")}, write)


def ftm_set(data: bytes, write: bool) -> None:
    _ingest("ftm", {"entities.jsonl": data}, write)


def tagpack(data: bytes, write: bool = False) -> None:
    from tocsin.money.crypto.tags import read_tagpack

    read_tagpack(_file("tagpack.yaml", data))


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("goaml", goaml, "goAML XML reports", writes=True),
    Target("camt053", camt053, "ISO 20022 camt.053 bank statements", writes=True),
    Target("amlworld", amlworld, "AMLworld transaction CSV", writes=True),
    Target("amlworld-patterns", amlworld_patterns, "AMLworld laundering patterns file",
           writes=True),
    Target("amlsim", amlsim, "AMLSim nodes and transactions CSV", writes=True),
    Target("amlsim-outputs", amlsim_outputs, "AMLSim's other layouts and PaySim's log, a "
           "folder of CSV files", writes=True),
    Target("csv-mapping", csv_mapping, "generic CSV through a column mapping", writes=True),
    Target("excel-mapping", excel_mapping, "generic Excel through a column mapping", writes=True),
    Target("mapping-file", mapping_file, "the YAML column mapping", writes=True),
    Target("iati", iati, "IATI activity XML"),
    Target("iati-organisations", iati_organisations, "IATI organisation XML"),
    Target("screening-un", _screening_list("un", "consolidated.xml"),
           "UN Security Council consolidated list XML"),
    Target("screening-ofac-xml", _screening_list("ofac_xml", "sdn.xml"),
           "OFAC SDN XML (advanced, enhanced, classic)"),
    Target("screening-ofac-csv", _screening_list("ofac_csv", ""),
           "OFAC SDN legacy CSV set (sdn.csv, add.csv, alt.csv), a folder of files"),
    Target("screening-eu", _screening_list("eu", "eu.xml"), "EU consolidated list XML"),
    Target("screening-uk", _screening_list("uk", "UK_Sanctions_List.xml"),
           "UK Sanctions List XML"),
    Target("screening-ofsi", _screening_list("ofsi", "ConList.xml"), "OFSI ConList XML"),
    Target("screening-ftm", _screening_list("ftm", "entities.json"),
           "FollowTheMoney entities as sanctions lists publish them (JSON lines)"),
    Target("indicators", indicators, "threat indicator CSV"),
    Target("programmes-csv", programmes_csv, "programme template, CSV"),
    Target("programmes-xlsx", programmes_xlsx, "programme template, Excel"),
    Target("backup-restore", backup_restore, "backup zip restore", writes=True,
           fresh=lambda: [backup_seed()]),
    Target("bitcoin-blk", bitcoin_blk, "Bitcoin Core blk*.dat block files", writes=True),
    Target("bitcoin-json", bitcoin_json, "Bitcoin Core RPC JSON (getblock, getrawtransaction)",
           writes=True),
    Target("bitcoin-etl", bitcoin_etl, "bitcoin-etl transactions export (JSON lines, CSV)",
           writes=True),
    Target("ethereum-csv", ethereum_csv, "ethereum-etl transactions CSV", writes=True),
    Target("ethereum-tokens", ethereum_tokens, "ethereum-etl token transfers CSV", writes=True),
    Target("tagpack", tagpack, "TagPack YAML (attributions of Bitcoin addresses)"),
    Target("ftm-set", ftm_set, "FollowTheMoney entities into a transaction set", writes=True),
)}


def expected_errors() -> tuple[type[BaseException], ...]:
    """What a target may raise: the platform's own, located input errors."""
    from tocsin.errors import TocsinError

    return (TocsinError,)
