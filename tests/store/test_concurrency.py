"""Many short transactions at once: reads that write an audit entry never hit a lock error."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, LoginThrottle
from tocsin.store.database import Database

READER = Principal(None, "reader", Role.ANALYST, None)


def test_audit_writes_from_reads_beside_a_slow_writer_never_fail(db: Database) -> None:
    """Eight readers each read, then audit the read, while another transaction keeps
    taking the write lock; on SQLite the writes queue behind the lock instead of
    failing with "database is locked"."""
    errors: list[BaseException] = []
    stop = threading.Event()

    def slow_writer() -> None:
        try:
            turn = 0
            while not stop.is_set():
                turn += 1
                with db.transaction() as session:
                    session.add(LoginThrottle(username=f"slow-{turn}", address="127.0.0.1",
                                              failures=1))
                    session.flush()
                    time.sleep(0.05)  # hold the write lock
                time.sleep(0.02)  # a busy office, not a writer that never lets go
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader(n: int) -> None:
        try:
            for i in range(15):
                with db.transaction() as session:
                    session.scalar(select(func.count()).select_from(AuditEntry))
                    audit.record(session, READER, "read", "test", f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=slow_writer)
    writer.start()
    readers = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(timeout=120)
    stop.set()
    writer.join(timeout=30)
    assert errors == []
    with db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.record_type == "test"))
    assert count == 8 * 15
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_sqlite_takes_the_write_lock_at_the_first_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """pysqlite begins a transaction only at the first INSERT/UPDATE/DELETE, and then
    with BEGIN IMMEDIATE, so a transaction never holds a read snapshot it must upgrade."""
    from tocsin.store import migrate

    database = Database.from_url(f"sqlite:///{tmp_path / 'x.db'}")
    migrate.upgrade(database.engine)
    with database.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None and raw.isolation_level == "IMMEDIATE"
    database.engine.dispose()
