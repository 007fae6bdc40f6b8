"""Backup and restore round-trip without losing a record, across backends too."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from tocsin.access import audit, users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, Unit, User
from tocsin.errors import InputError
from tocsin.settings import Settings
from tocsin.store import backup, migrate
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity


def _fill(db: Database, data_dir: Path) -> None:
    with db.transaction() as session:
        session.add(Unit(code="tntd-spmu", name="Strategic Police Matters Unit"))
        session.flush()
        users.add_user(session, Principal.system(), "ana", "Correct-horse-battery-9",
                       Role.ANALYST, "tntd-spmu", "Ana Lyst — ünïcode")
        unit_id = session.scalar(select(Unit.id))
        for n in range(3):
            session.add(Activity(identifier=f"XM-T-{n}", level="activity", title=f"Activity {n}",
                                 handling="AMBER", owner_unit_id=unit_id,
                                 reporting_org_ref="XM-T", description="line\nbreak \"quoted\""))
        audit.record(session, Principal.system(), "create", "activity", 1, "AMBER")
    (data_dir / "documents").mkdir(parents=True)
    (data_dir / "documents" / "report.txt").write_text("attached document")


def _snapshot(db: Database) -> dict[str, object]:
    with db.transaction() as session:
        return {
            "users": [(u.username, u.full_name, u.password_hash, u.role)
                      for u in session.scalars(select(User).order_by(User.id))],
            "activities": [(a.id, a.identifier, a.title, a.description, a.handling,
                            a.created_at.replace(tzinfo=None))
                           for a in session.scalars(select(Activity).order_by(Activity.id))],
        }


def _audit(db: Database) -> list[tuple[str, str]]:
    with db.transaction() as session:
        return [(e.action, e.record_type) for e in
                session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_round_trip(db: Database, settings: Settings, tmp_path: Path) -> None:
    _fill(db, settings.data_dir)
    kept = settings.data_dir / "cache" / "worlds" / "world31-3000-0123456789abcdef"
    kept.mkdir(parents=True)
    (kept / "key.json").write_text("{}")  # derived, generated again when missing
    before = _snapshot(db)
    report = backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    assert report.rows["tf_activities"] == 3 and report.files == 1

    with db.transaction() as session:  # damage the installation, then restore
        session.delete(session.scalars(select(Activity)).first())
    shutil.rmtree(settings.data_dir / "documents")

    audited = _audit(db)
    backup.restore(db.engine, settings.data_dir, tmp_path / "b.zip")
    assert _snapshot(db) == before
    assert _audit(db) == [*audited, ("restore", "backup")]  # kept, and the restore appended
    assert (settings.data_dir / "documents" / "report.txt").read_text() == "attached document"
    with db.transaction() as session:  # new records get fresh ids after a restore
        unit_id = session.scalar(select(Unit.id))
        session.add(Activity(identifier="XM-T-new", level="activity", title="after restore",
                             owner_unit_id=unit_id, reporting_org_ref="XM-T"))


def test_restore_to_the_other_backend(db: Database, settings: Settings, tmp_path: Path,
                                      sqlite_template: Path) -> None:
    """A backup taken on either backend restores onto embedded SQLite."""
    _fill(db, settings.data_dir)
    before = _snapshot(db)
    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    target = tmp_path / "other.db"
    shutil.copy(sqlite_template, target)
    other = Database.from_url(f"sqlite:///{target}")
    backup.restore(other.engine, tmp_path / "other-data", tmp_path / "b.zip")
    assert _snapshot(other) == before
    assert _audit(other) == [("restore", "backup")]  # the target's own log, plus the restore
    other.engine.dispose()


def test_bad_backup_is_refused_and_changes_nothing(db: Database, settings: Settings,
                                                   tmp_path: Path) -> None:
    _fill(db, settings.data_dir)
    before = _snapshot(db)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a Tocsin backup"):
        backup.restore(db.engine, settings.data_dir, tmp_path / "junk.zip")

    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as src, \
            zipfile.ZipFile(tmp_path / "broken.zip", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/tf_activities.jsonl":
                data = data.replace(b'"created_at": "', b'"created_at": "yesterday', 1)
            dst.writestr(item, data)
    with pytest.raises(InputError, match=r"tf_activities\.jsonl:1"):
        backup.restore(db.engine, settings.data_dir, tmp_path / "broken.zip")
    assert _snapshot(db) == before
    assert migrate.is_current(db.engine)


def _header(data: bytes, signature: bytes, name_at: int, name: bytes) -> int:
    """Where the zip header with ``signature`` for the entry ``name`` starts."""
    at = data.index(signature)
    while data[at + name_at:at + name_at + len(name)] != name:
        at = data.index(signature, at + 4)
    return at


CENTRAL, LOCAL = (b"PK\x01\x02", 46), (b"PK\x03\x04", 30)  # signature, where the name starts
ENTRY = b"tables/tf_activities.jsonl"


def _refused(db: Database, settings: Settings, path: Path, location: str,
             reason: str) -> None:
    """Both the check and the restore refuse ``path`` with this one problem."""
    for run in (backup.check, backup.restore):
        with pytest.raises(InputError) as caught:
            run(db.engine, settings.data_dir, path)
        assert [(p.location, p.reason) for p in caught.value.problems] == [(location, reason)]
    assert migrate.is_current(db.engine)


def test_an_entry_locked_with_a_zip_password_is_refused_by_name(db: Database,
                                                                 settings: Settings,
                                                                 tmp_path: Path) -> None:
    # found by fuzzing: zip's password flag on one entry made reading it raise RuntimeError
    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    data = bytearray((tmp_path / "b.zip").read_bytes())
    data[_header(data, CENTRAL[0], CENTRAL[1], ENTRY) + 8] |= 0x01  # flags: encrypted
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    _refused(db, settings, tmp_path / "locked.zip",
             f"{tmp_path / 'locked.zip'}:tables/tf_activities.jsonl",
             "the entry is password-protected inside the zip file, which Tocsin backups never "
             "are")


def test_an_entry_name_flagged_utf8_that_is_not_is_refused_by_name(db: Database,
                                                                   settings: Settings,
                                                                   tmp_path: Path) -> None:
    # found by fuzzing: a local header whose name is flagged UTF-8 and is not raised
    # UnicodeDecodeError when the entry was opened
    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    data = bytearray((tmp_path / "b.zip").read_bytes())
    central = _header(data, CENTRAL[0], CENTRAL[1], ENTRY)
    local = _header(data, LOCAL[0], LOCAL[1], ENTRY)
    data[central + 9] |= 0x08  # flags: names in UTF-8
    data[local + 7] |= 0x08
    data[local + LOCAL[1]] = 0xE9  # the local copy of the name: not UTF-8
    (tmp_path / "named.zip").write_bytes(bytes(data))
    _refused(db, settings, tmp_path / "named.zip",
             "tables/tf_activities.jsonl", "damaged entry ('utf-8' codec can't decode byte "
             "0xe9 in position 0: invalid continuation byte)")


def test_an_edited_backup_cannot_remove_audit_rows(db: Database, settings: Settings,
                                                   tmp_path: Path) -> None:
    from tocsin.access import chain

    _fill(db, settings.data_dir)
    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    with db.transaction() as session:  # happens after the backup: must survive the restore
        audit.record(session, Principal.system(), "export", "activity", 2, "RED")
    with zipfile.ZipFile(tmp_path / "b.zip") as src, \
            zipfile.ZipFile(tmp_path / "edited.zip", "w") as dst:
        for item in src.infolist():  # the edited backup has an empty audit log
            empty = item.filename in ("tables/audit_log.jsonl", "tables/audit_chain_head.jsonl")
            dst.writestr(item, b"" if empty else src.read(item))
    audited = _audit(db)
    backup.restore(db.engine, settings.data_dir, tmp_path / "edited.zip")
    assert _audit(db) == [*audited, ("restore", "backup")]
    with db.engine.connect() as conn:
        report = chain.verify(conn, settings.audit_hmac_key())
    assert report.ok, report.findings
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "restore")).one()
    assert "edited.zip" in entry.detail and "sha256" in entry.detail


def test_restore_needs_an_audit_key(db: Database, settings: Settings, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.errors import ConfigurationError

    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    for name in ("TOCSIN_AUDIT_KEY", "TOCSIN_SECRET_KEY", "TOCSIN_DEMO"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="audit log needs a key"):
        backup.restore(db.engine, settings.data_dir, tmp_path / "b.zip")


def test_a_backup_is_checked_whole_before_anything_is_restored(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    _fill(db, settings.data_dir)
    made = backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    checked = backup.check(db.engine, settings.data_dir, tmp_path / "b.zip")
    loaded = {name: count for name, count in made.rows.items() if name not in backup.AUDIT_TABLES}
    assert (checked.rows, checked.files) == (loaded, 1)

    # the stored document is damaged after its first bytes (its CRC no longer holds): a
    # restore that copied before checking would have overwritten the document with it
    with zipfile.ZipFile(tmp_path / "b.zip") as src, \
            zipfile.ZipFile(tmp_path / "stored.zip", "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
    raw = (tmp_path / "stored.zip").read_bytes()
    (tmp_path / "damaged.zip").write_bytes(raw.replace(b"attached document",
                                                       b"attached documenT"))
    (settings.data_dir / "documents" / "report.txt").write_text("kept as it is")
    with db.transaction() as session:
        session.add(Unit(code="after", name="Added after the backup"))
    before = _snapshot(db)
    for attempt in (backup.check, backup.restore):
        with pytest.raises(InputError, match=r"files/documents/report\.txt.*damaged entry"):
            attempt(db.engine, settings.data_dir, tmp_path / "damaged.zip")
    assert (settings.data_dir / "documents" / "report.txt").read_text() == "kept as it is"
    assert _snapshot(db) == before
    with db.transaction() as session:
        assert session.scalar(select(Unit).where(Unit.code == "after")) is not None


def test_a_row_count_that_differs_from_the_manifest_is_found_by_the_check(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    _fill(db, settings.data_dir)
    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as src, \
            zipfile.ZipFile(tmp_path / "short.zip", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/tf_activities.jsonl":
                data = b"".join(data.splitlines(keepends=True)[:2])
            dst.writestr(item, data)
    with pytest.raises(InputError, match=r"row counts differ .*tf_activities"):
        backup.check(db.engine, settings.data_dir, tmp_path / "short.zip")


def test_check_and_restore_open_the_archive_once(db: Database, settings: Settings,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the zip's directory was read once for the manifest and again for the rows (and a
    # third time by a restore): each a read of the whole central directory
    _fill(db, settings.data_dir)
    backup.backup(db.engine, settings.data_dir, tmp_path / "b.zip")
    opened: list[object] = []

    class Counted(zipfile.ZipFile):
        def __init__(self, *args: object, **kwargs: object) -> None:
            opened.append(args[0])
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backup.zipfile, "ZipFile", Counted)
    assert backup.check(db.engine, settings.data_dir, tmp_path / "b.zip").files == 1
    assert opened == [tmp_path / "b.zip"]
    opened.clear()
    assert backup.restore(db.engine, settings.data_dir, tmp_path / "b.zip").files == 1
    assert opened == [tmp_path / "b.zip"]
    assert (settings.data_dir / "documents" / "report.txt").read_text() == "attached document"
