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


def test_facet_tokens_of_existing_documents_match_the_indexer(db: Database) -> None:
    """search_0003 computes the facet tokens in SQL exactly as ``SearchDoc.tags()`` does."""
    from alembic import command

    from tocsin.search.registry import SearchDoc
    from tocsin.store.migrate import alembic_config

    config = alembic_config(db.engine)
    command.downgrade(config, "search_0002")
    doc = SearchDoc("activity", "7", "Money laundering", "via casinos", "GREEN", None, "/x",
                    year=2019, crime_areas=("money_laundering",), stages=("prevention",),
                    countries=("AL",), structures=("tntd-spmu",))
    try:
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO search_documents (id, record_type, record_id, title, body, handling,"
                " url, year, updated_at) VALUES (1, 'activity', '7', 'Money laundering',"
                " 'via casinos', 'GREEN', '/x', 2019, CURRENT_TIMESTAMP)"))
            for facet, value in doc.facet_rows():
                conn.execute(text("INSERT INTO search_facets VALUES (1, :f, :v)"),
                             {"f": facet, "v": value})
            conn.execute(text(  # an attached file as search_0001 linked it
                "INSERT INTO search_documents (id, record_type, record_id, title, body, handling,"
                " url, updated_at) VALUES (2, 'document', '9', 'Agenda', '', 'GREEN',"
                " '/programmes/7#document-9', CURRENT_TIMESTAMP)"))
    finally:
        command.upgrade(config, "heads")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT url FROM search_documents WHERE id = 2")
                            ).scalar_one() == "/programmes/7#documents"
        stored = conn.execute(text("SELECT tags FROM search_documents WHERE id = 1")
                              ).scalar_one()
        assert sorted(stored.split()) == sorted(doc.tags().split())
        if db.dialect == "sqlite":  # the rebuilt FTS5 table finds the document by a token
            token = doc.tags().split()[2]
            assert conn.execute(text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q"),
                                {"q": f'tags : "{token}" AND casinos'}).scalars().all() == [1]
