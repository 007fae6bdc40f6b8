"""The search tables match their migration; the raw-SQL full-text parts are invisible
to autogenerate but present in the database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tocsin.store.database import Database
from tocsin.store.migrate import import_all_tables


def test_no_difference_for_search_tables(db: Database) -> None:
    metadata = import_all_tables()
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diffs if "search" in repr(d)]
    assert ours == []


def test_full_text_structures_exist(db: Database) -> None:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            names = set(inspect(conn).get_table_names())
            assert "search_fts" in names
            triggers = set(conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            assert {"search_documents_fts_insert", "search_documents_fts_delete",
                    "search_documents_fts_update"} <= triggers
        else:
            columns = {c["name"] for c in inspect(conn).get_columns("search_documents")}
            assert "search_vector" in columns
