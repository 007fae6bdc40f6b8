"""Backup and restore of the whole platform: every table and the data folder.

A backup is a zip file: ``manifest.json`` (format, schema revisions, row counts),
one JSON-lines file per table, and the data folder's files (documents,
transaction sets) under ``files/``. It is engine-neutral, so a backup taken on
the embedded SQLite default restores onto PostgreSQL and back.

A restore first checks the whole backup (:func:`check`: the manifest, every row
of every table, every stored file) and only then clears and loads anything, so a
damaged or edited backup is refused before the database or the data folder is
touched; ``tocsin restore --check`` runs that check alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, MetaData, Table, func, select, text
from sqlalchemy import types as satypes
from sqlalchemy.exc import DBAPIError, StatementError

from tocsin import limits
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.limits import TooLarge
from tocsin.store import migrate
from tocsin.store.private import (
    encrypt_file,
    is_encrypted,
    opened_backup,
    private_file,
    private_folder,
)

FORMAT = "tocsin-backup/1"
#: Data-folder entries that are derived or private to this installation (``cache``: the
#: generated worlds of :mod:`tocsin.money.worldcache`).
#: Secrets never leave the installation in a backup (the demo's generated passwords and key).
SKIPPED_FILES = {"tocsin.db", "tocsin.db-wal", "tocsin.db-shm", "demo-secret-key",
                 "demo-credentials.json", "cache"}
#: Longest line of a table file in a backup (one row as JSON).
MAX_LINE = 64 * 1024 * 1024


@dataclass(frozen=True)
class BackupReport:
    path: Path
    rows: dict[str, int]
    files: int


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(column_type: satypes.TypeEngine[Any]) -> Any:
    if isinstance(column_type, satypes.DateTime):
        return datetime.fromisoformat
    if isinstance(column_type, satypes.Date):
        return date.fromisoformat
    if isinstance(column_type, satypes.Numeric) and column_type.asdecimal:
        return Decimal
    if isinstance(column_type, satypes.LargeBinary):
        return base64.b64decode
    return None


def _data_files(data_dir: Path) -> Iterator[Path]:
    if not data_dir.exists():
        return
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.relative_to(data_dir).parts[0] not in SKIPPED_FILES:
            yield path


def backup(engine: Engine, data_dir: Path, target: Path,
           passphrase: str | None = None) -> BackupReport:
    """Write a consistent backup (one read transaction) to ``target``, readable by the
    owner only; encrypted when a ``passphrase`` is given (see :mod:`tocsin.store.private`)."""
    metadata = migrate.import_all_tables()
    rows: dict[str, int] = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = private_file(target.with_suffix(target.suffix + ".partial"))
    files = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive, \
            engine.connect() as conn, conn.begin():
        for table in metadata.sorted_tables:
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as out:
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                    record = {k: _encode(v) for k, v in row._mapping.items()}
                    out.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
                    count += 1
            rows[table.name] = count
        for path in _data_files(data_dir):
            archive.write(path, f"files/{path.relative_to(data_dir).as_posix()}")
            files += 1
        manifest = {
            "format": FORMAT,
            "created": datetime.now().astimezone().isoformat(),
            "revisions": sorted(migrate.current_heads(engine)),
            "rows": rows,
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    if passphrase is not None:
        sealed = private_file(target.with_suffix(target.suffix + ".sealing"))
        try:
            encrypt_file(partial, sealed, passphrase)
        finally:
            partial.unlink(missing_ok=True)
        partial = sealed
    partial.replace(target)  # a crash mid-backup never leaves a truncated file under the real name
    return BackupReport(target, rows, files)


def restore_file(engine: Engine, data_dir: Path, source: Path,
                 passphrase: str | None = None, *, audit_key: bytes | None = None,
                 actor: str = "system") -> BackupReport:
    """Restore a backup file, encrypted or not (the passphrase is needed for an encrypted one)."""
    with opened_backup(source, passphrase, data_dir / ".restoring") as plain:
        report = restore(engine, data_dir, plain, audit_key=audit_key, actor=actor,
                         origin=source)
    return BackupReport(source, report.rows, report.files)


#: What a damaged zip member raises while it is read (bad CRC, truncated or corrupt data,
#: a local header whose name is flagged UTF-8 and is not).
ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                  UnicodeDecodeError)


def read_manifest(source: Path) -> dict[str, Any]:
    with _open(source) as archive:
        return _manifest(source, archive)


def _open(source: Path) -> zipfile.ZipFile:
    """The backup's archive, opened once for the manifest and everything after it."""
    if is_encrypted(source):
        raise InputError.single(str(source), N_("the backup is encrypted; give its passphrase"))
    try:
        archive = zipfile.ZipFile(source)
    except (*ARCHIVE_ERRORS, KeyError, ValueError) as exc:
        raise InputError.single(str(source), N_("not a Tocsin backup (%(why)s)",
                                                why=str(exc))) from exc
    # zip's own password flag: reading such an entry raises RuntimeError, and Tocsin
    # never writes one (a backup is encrypted whole, with a passphrase)
    locked = next((info.filename for info in archive.infolist() if info.flag_bits & 0x1), None)
    if locked is not None:
        archive.close()
        raise InputError.single(f"{source}:{locked}", N_(
            "the entry is password-protected inside the zip file, which Tocsin backups never "
            "are"))
    return archive


def _manifest(source: Path, archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo("manifest.json")
        if info.file_size > MAX_LINE:
            raise InputError.single(str(source), N_("the manifest is too large"))
        manifest = json.loads(archive.read(info))
        _check_manifest(source, manifest)
        _check_sizes(source, archive, manifest)
    except (*ARCHIVE_ERRORS, KeyError, ValueError) as exc:
        raise InputError.single(str(source), N_("not a Tocsin backup (%(why)s)",
                                                why=str(exc))) from exc
    return manifest


def _check_manifest(source: Path, manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise InputError.single(str(source), N_("unknown backup format %(format)s",
                                                format=repr(found)))
    revisions, rows = manifest.get("revisions"), manifest.get("rows")
    if not (isinstance(revisions, list) and all(isinstance(r, str) for r in revisions)
            and isinstance(rows, dict)
            and all(isinstance(k, str) and type(v) is int for k, v in rows.items())):
        raise InputError.single(f"{source}: manifest.json",
                                N_("revisions must be a list of names and rows a count per "
                                   "table"))


def _check_sizes(source: Path, archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Refuse a backup whose tables unpack beyond the archive limit, that holds more entries
    than its manifest accounts for, or whose stored files would not fit on the disk —
    from the zip's directory, before anything is decompressed."""
    entries = archive.infolist()
    stored = [e for e in entries if e.filename.startswith("files/")]
    others = [e for e in entries if not e.filename.startswith("files/")]
    expected_files = manifest.get("files", 0) if isinstance(manifest.get("files"), int) else 0
    where = source.name
    if len(stored) > expected_files:
        raise TooLarge.single(where, N_("holds %(count)s stored files; its manifest lists "
                                        "%(listed)s", count=f"{len(stored):,}",
                                        listed=f"{expected_files:,}"))
    active = limits.active()
    if len(others) > active.archive_max_entries:
        raise TooLarge.single(where, N_("holds %(count)s entries; at most %(most)s are "
                                        "accepted", count=f"{len(others):,}",
                                        most=f"{active.archive_max_entries:,}"))
    tables = sum(e.file_size for e in others)
    if tables > active.archive_max_unpacked_bytes:
        raise TooLarge.single(where, N_("its tables unpack to %(size)s bytes; at most "
                                        "%(most)s are accepted "
                                        "(TOCSIN_ARCHIVE_MAX_UNPACKED_BYTES)",
                                        size=f"{tables:,}",
                                        most=f"{active.archive_max_unpacked_bytes:,}"))
    files = sum(e.file_size for e in stored)
    folder = source.parent
    free = shutil.disk_usage(folder).free
    if files > free:
        raise TooLarge.single(where, N_("its stored files unpack to %(size)s bytes; only "
                                        "%(free)s are free", size=f"{files:,}",
                                        free=f"{free:,}"))


def restore(engine: Engine, data_dir: Path, source: Path, *, audit_key: bytes | None = None,
            actor: str = "system", origin: Path | None = None) -> BackupReport:
    """Replace the database content and data folder with the backup's.

    The schema must be at the backup's revisions (run ``tocsin init`` first, on
    the same version of Tocsin that made the backup). All rows are loaded in one
    transaction: on any error the database is left as it was. The audit log of the
    running instance is kept and the restore itself is appended to it
    (:func:`_keep_audit_log`, naming ``origin``, the file the user gave, if not
    ``source``); ``audit_key`` defaults to the configured one.
    """
    if audit_key is None:  # no restore without a key to audit it
        from tocsin.settings import Settings

        audit_key = Settings().audit_hmac_key()
    migrate.upgrade(engine)
    rows: dict[str, int] = {}
    with _open(source) as archive:
        # every row and file is checked before anything is cleared (the data folder is not
        # in the transaction), then the rows are read again to load them
        manifest, _, _ = _check_archive(engine, data_dir, source, archive)
        metadata = migrate.import_all_tables()
        with engine.begin() as conn:
            tables = _clear(conn, metadata)
            for table in tables:
                rows[table.name] = _load_table(conn, table, archive)
            if rows != {name: manifest["rows"].get(name, 0) for name in rows}:
                raise InputError.single(f"{source}: manifest.json",
                                        N_("restored row counts differ from the manifest"))
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
            names = _stored_files(archive)
            _restore_files(archive, data_dir, names)
            _keep_audit_log(conn, audit_key, actor, origin or source, manifest, rows, len(names))
    return BackupReport(source, rows, len(names))


def check(engine: Engine, data_dir: Path, source: Path) -> BackupReport:
    """Check a backup as a restore into ``engine`` and ``data_dir`` would read it, and
    write nothing: the manifest, the schema revisions against the database's (once
    migrated: a restore migrates it first), every row of every table (JSON, known
    columns, values of the column's type) and its count against the manifest, and every
    stored file (its path, its compressed data). The rows the restore would load, and
    the number of files.

    What only the database can judge (a constraint, a value it refuses) is left to the
    restore, which loads everything in one transaction.
    """
    _, rows, files = _check(engine, data_dir, source)
    return BackupReport(source, rows, files)


def _check(engine: Engine, data_dir: Path,
           source: Path) -> tuple[dict[str, Any], dict[str, int], int]:
    """The manifest, rows per table and number of files of a backup whose every part was
    checked (see :func:`check`)."""
    with _open(source) as archive:
        return _check_archive(engine, data_dir, source, archive)


def _check_archive(engine: Engine, data_dir: Path, source: Path,
                   archive: zipfile.ZipFile) -> tuple[dict[str, Any], dict[str, int], int]:
    manifest = _manifest(source, archive)
    current = sorted(migrate.current_heads(engine))
    if current != manifest["revisions"] and not migrate.is_current(engine):
        current = sorted(migrate.expected_heads())  # the restore migrates the database first
    if current != manifest["revisions"]:
        raise InputError.single(
            str(source),
            f"backup schema revisions {manifest['revisions']} differ from this "
            f"installation's {current}; restore with the Tocsin version that made it",
        )
    rows: dict[str, int] = {}
    try:
        for table in _loaded(migrate.import_all_tables()):
            rows[table.name] = sum(len(batch) for batch in _rows(table, archive))
        if rows != {name: manifest["rows"].get(name, 0) for name in rows}:
            differ = sorted(name for name in rows
                            if rows[name] != manifest["rows"].get(name, 0))
            raise InputError.single(
                f"{source}: manifest.json",
                N_("row counts differ from the manifest (tables %(tables)s)",
                   tables=", ".join(differ[:5])))
        names = _stored_files(archive)
        for name in names:
            if _destination(data_dir, name) is None:
                continue
            try:
                with archive.open(name) as packed:
                    while packed.read(1024 * 1024):
                        pass
            except ARCHIVE_ERRORS as exc:
                raise InputError.single(name, N_("damaged entry (%(why)s)",
                                                 why=str(exc))) from exc
    except ARCHIVE_ERRORS as exc:  # the archive itself, its directory read by _open
        raise InputError.single(str(source), N_("not a Tocsin backup (%(why)s)",
                                                   why=str(exc))) from exc
    return manifest, rows, len(names)


def _stored_files(archive: zipfile.ZipFile) -> list[str]:
    return [n for n in archive.namelist() if n.startswith("files/") and not n.endswith("/")]


def _destination(data_dir: Path, name: str) -> Path | None:
    """Where a stored file is restored; None for one a restore skips. A path that would
    leave the data folder is refused."""
    dest = data_dir / name.removeprefix("files/")
    if not dest.resolve().is_relative_to(data_dir.resolve()):
        raise InputError.single(name, N_("file path escapes the data folder"))
    if dest.name in SKIPPED_FILES and dest.parent == data_dir:
        return None
    return dest


def _restore_files(archive: zipfile.ZipFile, data_dir: Path, names: list[str]) -> None:
    """Copy the stored files into the data folder, streaming (bounded memory), owner-only."""
    private_folder(data_dir)
    for name in names:
        dest = _destination(data_dir, name)
        if dest is None:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_file(dest)
        try:
            with archive.open(name) as packed, dest.open("wb") as out:
                shutil.copyfileobj(packed, out, 1024 * 1024)
        except ARCHIVE_ERRORS as exc:
            raise InputError.single(name, N_("damaged entry (%(why)s)", why=str(exc))) from exc


#: Tables a restore leaves as they are: the running instance's audit log and its chain.
AUDIT_TABLES = frozenset({"audit_log", "audit_chain_head"})


def _keep_audit_log(conn: Any, audit_key: bytes, actor: str, source: Path,
                    manifest: dict[str, Any], rows: dict[str, int], files: int) -> None:
    """Append the restore to the running instance's audit log, in the restore's transaction.

    The audit tables are neither cleared nor loaded (:func:`_clear` skips them), so an
    edited backup cannot remove or rewrite audit rows; the backup's own audit rows stay
    in the backup file, and the entry names the file by its SHA-256.
    """
    from tocsin.access import chain

    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    skipped = manifest["rows"].get("audit_log", 0)
    detail = (f"restored {source.name} (sha256 {digest.hexdigest()}, made "
              f"{manifest.get('created', '?')}): {sum(rows.values())} rows, {files} files; "
              f"the running instance's audit log was kept, the backup's {skipped} audit "
              "rows were not loaded")
    chain.append(conn, audit_key, [chain.entry(user_id=None, username=actor,
                                               action="restore", record_type="backup",
                                               record_id=source.name, detail=detail)])


def _loaded(metadata: MetaData) -> list[Table]:
    """The tables a restore loads (not the audit tables), in load order."""
    return [t for t in metadata.sorted_tables if t.name not in AUDIT_TABLES]


def _clear(conn: Any, metadata: MetaData) -> list[Table]:
    """Empty every table a restore loads (not the audit tables); return them in load order."""
    tables = _loaded(metadata)
    if conn.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        conn.execute(text(f"TRUNCATE {names}"))
        return tables
    for table in reversed(tables):
        conn.execute(table.delete())
    return tables


def _load_table(conn: Any, table: Table, archive: zipfile.ZipFile) -> int:
    where = f"tables/{table.name}.jsonl"
    return sum(_insert(conn, table, batch, where) for batch in _rows(table, archive))


def _rows(table: Table, archive: zipfile.ZipFile) -> Iterator[list[dict[str, Any]]]:
    """The rows of ``table`` in the backup, decoded and checked, a thousand at a time."""
    decoders = {c.name: _decoder(c.type) for c in table.columns}
    batch: list[dict[str, Any]] = []
    where = f"tables/{table.name}.jsonl"
    try:
        handle = archive.open(where)
    except KeyError:
        return  # a table added after the backup was made starts empty
    except ARCHIVE_ERRORS as exc:
        raise InputError.single(where, N_("damaged entry (%(why)s)", why=str(exc))) from exc
    columns = set(decoders)
    with handle:
        for line_no, line in enumerate(_lines(handle, where), start=1):
            if len(line) > MAX_LINE:
                raise TooLarge.single(f"{where}:{line_no}", N_("a row longer than %(most)s bytes",
                                                               most=f"{MAX_LINE:,}"))
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise InputError.single(f"{where}:{line_no}", N_("not a JSON row (%(why)s)",
                                                                 why=str(exc))) from None
            if not isinstance(record, dict) or not set(record) <= columns:
                raise InputError.single(f"{where}:{line_no}",
                                        N_("not a row of %(table)s (unknown columns)",
                                           table=table.name))
            for key, decode in decoders.items():
                if decode is not None and record.get(key) is not None:
                    try:
                        record[key] = decode(record[key])
                    except (ValueError, TypeError) as exc:
                        raise InputError.single(
                            f"tables/{table.name}.jsonl:{line_no}", f"column {key}: {exc}"
                        ) from exc
            batch.append(record)
            if len(batch) >= 1000:
                yield batch
                batch = []
    if batch:
        yield batch


def _lines(handle: IO[bytes], where: str) -> Iterator[bytes]:
    try:
        yield from handle
    except ARCHIVE_ERRORS as exc:
        raise InputError.single(where, N_("damaged entry (%(why)s)", why=str(exc))) from exc


def _insert(conn: Any, table: Table, batch: list[dict[str, Any]], where: str) -> int:
    # rows of a table have the same columns in a real backup; fill gaps so one
    # statement fits all, and let the database's constraints judge the values
    names = {key for record in batch for key in record}
    rows = [{name: record.get(name) for name in names} for record in batch]
    try:
        conn.execute(table.insert(), rows)
    except (StatementError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise InputError.single(where, N_("rows the database refuses (%(why)s)",
                                          why=reason)) from None
    return len(rows)


def _reset_sequences(conn: Any, tables: list[Table]) -> None:
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                isinstance(column.type, satypes.Integer) and len(table.primary_key.columns) == 1
            ):
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name},
                ).scalar()
                if seq:
                    top = conn.execute(select(func.max(column))).scalar() or 0
                    conn.execute(text("SELECT setval(:s, :v, :called)"),
                                 {"s": seq, "v": max(top, 1), "called": top > 0})
