"""Files on disk: owner-only, backups without secrets or encrypted, leftovers removed."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tocsin import limits
from tocsin.access.tables import Unit
from tocsin.errors import InputError
from tocsin.lifecycle import clean_unfinished_imports
from tocsin.limits import TooLarge
from tocsin.money.sets import storage_root
from tocsin.settings import Settings
from tocsin.store import backup
from tocsin.store.database import Database
from tocsin.store.engine import make_engine
from tocsin.store.private import CHUNK, decrypt_file, encrypt_file, is_encrypted

PASSPHRASE = "a long enough passphrase"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A careless umask: everything created would be world-readable without explicit modes."""
    before = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(before)


def test_database_and_data_folder_are_owner_only_whatever_the_umask(
        tmp_path: Path, open_umask: None) -> None:
    from tocsin.settings import _demo_secret

    data = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data / 'tocsin.db'}")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        conn.commit()
    engine.dispose()
    assert _mode(data) == 0o700
    assert _mode(data / "tocsin.db") == 0o600
    _demo_secret(data)
    assert _mode(data / "demo-secret-key") == 0o600


def test_backup_is_owner_only_and_leaves_demo_credentials_out(
        db: Database, settings: Settings, tmp_path: Path, open_umask: None) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "demo-credentials.json").write_text(json.dumps({"admin": "secret"}))
    (settings.data_dir / "demo-secret-key").write_text("k" * 40)
    (settings.data_dir / "documents").mkdir()
    (settings.data_dir / "documents" / "d.txt").write_text("kept")
    target = tmp_path / "backups" / "b.zip"
    backup.backup(db.engine, settings.data_dir, target)
    assert _mode(target) == 0o600
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert "files/documents/d.txt" in names
    assert not [n for n in names if "demo-credentials" in n or "demo-secret" in n]


def test_encrypted_backup_round_trip_and_refusals(db: Database, settings: Settings,
                                                  tmp_path: Path) -> None:
    with db.transaction() as session:
        session.add(Unit(code="u-1", name="A unit"))
    target = tmp_path / "b.tocsin"
    backup.backup(db.engine, settings.data_dir, target, passphrase=PASSPHRASE)
    assert is_encrypted(target) and _mode(target) == 0o600
    assert b"A unit" not in target.read_bytes()
    with pytest.raises(InputError, match="encrypted; give its passphrase"):
        backup.restore_file(db.engine, settings.data_dir, target)
    with pytest.raises(InputError, match="wrong passphrase"):
        backup.restore_file(db.engine, settings.data_dir, target, "not the passphrase")
    with db.transaction() as session:
        session.query(Unit).delete()
    backup.restore_file(db.engine, settings.data_dir, target, PASSPHRASE)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 1
    assert not (settings.data_dir / ".restoring").exists()  # no plain copy left behind


def test_encryption_detects_changed_dropped_and_truncated_chunks(tmp_path: Path) -> None:
    plain = tmp_path / "p.bin"
    plain.write_bytes(os.urandom(CHUNK * 2 + 100))
    sealed = tmp_path / "s.bin"
    encrypt_file(plain, sealed, PASSPHRASE)
    decrypt_file(sealed, tmp_path / "back.bin", PASSPHRASE)
    assert (tmp_path / "back.bin").read_bytes() == plain.read_bytes()
    data = sealed.read_bytes()
    header = len(data) - (CHUNK * 2 + 100) - 3 * 16
    variants = {
        "flipped": data[:header + 10] + bytes([data[header + 10] ^ 1]) + data[header + 11:],
        "truncated": data[:header + CHUNK + 16],  # the last two chunks cut off
        "dropped": data[:header] + data[header + CHUNK + 16:],
    }
    for name, broken in variants.items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(broken)
        with pytest.raises(InputError, match="wrong passphrase, or the backup was changed"):
            decrypt_file(path, tmp_path / "out.bin", PASSPHRASE)


def test_restore_refuses_a_bomb_before_decompressing(db: Database, settings: Settings,
                                                     tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    backup.backup(db.engine, settings.data_dir, good)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item))
        out.writestr("tables/extra.jsonl", b" " * 3_000_000)
    with limits.override(archive_max_unpacked_bytes=1_000_000), \
            pytest.raises(TooLarge, match="tables unpack to"):
        backup.restore(db.engine, settings.data_dir, bomb)
    sneaky = tmp_path / "sneaky.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(sneaky, "w") as out:
        for item in source.infolist():
            out.writestr(item, source.read(item))
        out.writestr("files/unlisted.bin", b"x")
    with pytest.raises(TooLarge, match="stored files; its manifest lists 0"):
        backup.restore(db.engine, settings.data_dir, sneaky)


def test_unfinished_imports_are_removed_at_start_and_logged(
        db: Database, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    root = storage_root(settings)
    old = root / ".set-a.partial-1234abcd"
    fresh = root / ".set-b.partial-5678ef01"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / "transactions.parquet").write_bytes(b"x" * 10)
    stale = 1_000_000_000
    os.utime(old / "transactions.parquet", (stale, stale))
    os.utime(old, (stale, stale))
    removed = clean_unfinished_imports(settings, db)
    assert removed == [old] and not old.exists()
    assert fresh.exists()  # may still be written by a running import
    assert ".set-a.partial-1234abcd" in caplog.text
