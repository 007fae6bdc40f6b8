"""The migrations create exactly the tables the code declares, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from tocsin.store import migrate
from tocsin.store.database import Database


def test_migrations_match_the_tables(db: Database) -> None:
    metadata = migrate.import_all_tables()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    assert diff == [], f"tables and migrations differ; write a migration: {diff}"


def test_database_is_at_every_head(db: Database) -> None:
    assert migrate.is_current(db.engine)
    migrate.upgrade(db.engine)  # running it again is a no-op
    assert migrate.is_current(db.engine)


def test_sqlite_runs_with_wal_and_foreign_keys(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_tables_modules_found_on_disk_are_those_a_walk_of_the_package_finds() -> None:
    import pkgutil

    import tocsin

    walked = sorted(info.name for info in pkgutil.walk_packages(tocsin.__path__, "tocsin.")
                    if info.name.rsplit(".", 1)[-1] == "tables")
    assert list(migrate._table_modules()) == walked
    assert len(walked) >= 17
