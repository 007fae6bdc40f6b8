"""The audit log's hash chain: concurrent appends chain, tampering of every kind is found."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from tocsin.access import audit, chain
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditChainHead, AuditEntry
from tocsin.cli.main import app
from tocsin.errors import ConfigurationError
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database

runner = CliRunner()


def _write(db: Database, count: int, who: str = "ana") -> None:
    for n in range(count):
        with db.transaction() as session:
            audit.record(session, Principal(7, who, "analyst", 1),  # type: ignore[arg-type]
                         "read", "activity", n, "AMBER", detail=f"entry {n}")


def _verify(db: Database, settings: Settings) -> chain.Verification:
    with db.engine.connect() as conn:
        return chain.verify(conn, settings.audit_hmac_key())


def _tamper(engine: Engine, *statements: str) -> None:
    """What someone with the database's credentials could do: switch the triggers off."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE audit_chain_head DISABLE TRIGGER USER"))
        else:
            for name in ("audit_log_no_update", "audit_log_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        for statement in statements:
            conn.execute(text(statement))


def test_an_untouched_log_verifies(db: Database, settings: Settings) -> None:
    assert _verify(db, settings).ok  # the empty log
    _write(db, 5)
    report = _verify(db, settings)
    assert report.ok and report.rows == 5 and report.head_seq == 5


def test_entries_of_a_rolled_back_transaction_are_not_written(db: Database,
                                                             settings: Settings) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        audit.record(session, Principal.system(), "export", "activity", 1)
        raise RuntimeError("the change failed")
    _write(db, 1)
    report = _verify(db, settings)
    assert report.ok and report.rows == 1


def test_concurrent_writers_chain_one_after_another(db: Database, settings: Settings) -> None:
    threads = [threading.Thread(target=_write, args=(db, 10, f"user{i}")) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    report = _verify(db, settings)
    assert report.ok, report.findings
    assert report.rows == 60 and report.head_seq == 60


@pytest.mark.parametrize(("statements", "kind", "where"), [
    (["UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 3"], "altered", "row 3 "),
    (["DELETE FROM audit_log WHERE seq = 3"], "deleted", "position 3 "),
    (["DELETE FROM audit_log WHERE seq >= 4"], "deleted", "position 4-5 were cut off"),
    (["INSERT INTO audit_log (at, username, action, record_type, record_id, handling, detail)"
      " VALUES (CURRENT_TIMESTAMP, 'ana', 'read', 'activity', '9', 'AMBER', 'forged')"],
     "forged", "no place in the chain"),
    (["INSERT INTO audit_log (at, username, action, record_type, record_id, handling, detail,"
      " seq, prev_hash, row_hash) SELECT at, username, action, record_type, record_id,"
      " handling, 'forged', 6, row_hash, row_hash FROM audit_log WHERE seq = 5"],
     "altered", "row 6 "),
    (["UPDATE audit_chain_head SET seq = 3"], "head", "does not carry a valid HMAC"),
])
def test_tampering_is_found(db: Database, settings: Settings, statements: list[str],
                            kind: str, where: str) -> None:
    _write(db, 5)
    _tamper(db.engine, *statements)
    report = _verify(db, settings)
    assert not report.ok
    assert any(f.kind == kind and where in f.message for f in report.findings), report.findings


def test_a_deleted_row_cannot_be_papered_over_without_the_key(db: Database,
                                                              settings: Settings) -> None:
    """Delete row 3 and relink row 4 to row 2: row 4's HMAC no longer matches."""
    _write(db, 5)
    _tamper(db.engine, "DELETE FROM audit_log WHERE seq = 3",
            "UPDATE audit_log SET seq = 3, prev_hash = (SELECT row_hash FROM audit_log "
            "WHERE seq = 2) WHERE seq = 4")
    report = _verify(db, settings)
    assert {f.kind for f in report.findings} >= {"altered"}


def test_a_key_is_required_outside_demo_mode(db: Database, settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOCSIN_AUDIT_KEY", "TOCSIN_SECRET_KEY", "TOCSIN_DEMO"):
        monkeypatch.delenv(name, raising=False)
    keyless = Database(db.engine, db.sessions)
    keyless.sessions.kw.pop("info", None)
    with pytest.raises(ConfigurationError, match="audit log needs a key"), \
            keyless.transaction() as session:
        audit.record(session, Principal.system(), "export", "activity", 1)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert Settings(demo=True, data_dir=settings.data_dir).audit_hmac_key()  # derived in demo


def test_placeholder_audit_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="TOCSIN_AUDIT_KEY"):
        Settings(audit_key="changeme").audit_hmac_key()  # type: ignore[arg-type]


def test_head_row_cannot_be_deleted(db: Database) -> None:
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="cannot be deleted"), db.transaction() as session:
        session.execute(text("DELETE FROM audit_chain_head"))
    with db.transaction() as session:
        assert session.get(AuditChainHead, 1) is not None


def test_cli_verify(db: Database, settings: Settings, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", settings.secret())
    get_settings.cache_clear()
    try:
        _write(db, 4)
        good = runner.invoke(app, ["audit", "verify"])
        assert good.exit_code == 0 and "intact" in good.output, good.output
        assert "read" in runner.invoke(app, ["audit", "--user", "ana"]).output
        _tamper(db.engine, "UPDATE audit_log SET username = 'someone else' WHERE seq = 2")
        bad = runner.invoke(app, ["audit", "verify"])
        assert bad.exit_code == 1 and "row 2 " in bad.output and "altered" in bad.output
    finally:
        get_settings.cache_clear()
