"""search: facet tokens (tags) indexed with the text, so FTS5 answers facet filters

Revision ID: search_0003
Revises: search_0002

Adds ``search_documents.tags`` (the facet values as words, see
``tocsin.search.tables.facet_token``), fills it for the documents already
indexed, and on SQLite rebuilds ``search_fts`` with a third column ``tags`` and
triggers that keep it in step.
"""

from alembic import op
import sqlalchemy as sa


revision = 'search_0003'
down_revision = 'search_0002'
branch_labels = None
depends_on = None

# Keep in step with tocsin.search.tables.TOKEN_LETTERS and facet_token().
LETTERS = {'crime_area': 'a', 'stage': 's', 'country': 'c', 'structure': 'u'}


def _sqlite_fts(columns: list[str]) -> list[str]:
    # Only the fixed column names above are interpolated.
    names = ', '.join(columns)
    new = ', '.join(f'new.{c}' for c in columns)
    old = ', '.join(f'old.{c}' for c in columns)
    return [
        f"CREATE VIRTUAL TABLE search_fts USING fts5({names}, content='search_documents', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(rowid, {names}) VALUES (new.id, {new}); END",
        "CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN "  # noqa: S608
        f"INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER search_documents_fts_update AFTER UPDATE OF {names} ON search_documents "  # noqa: S608
        f"BEGIN INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO search_fts(rowid, {names}) VALUES (new.id, {new}); END",
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    ]


def _drop_sqlite_fts() -> None:
    for trigger in ('insert', 'delete', 'update'):
        op.execute(f"DROP TRIGGER IF EXISTS search_documents_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts")


def _fill_tags(dialect: str) -> None:
    def hexed(expression: str) -> str:
        if dialect == 'postgresql':
            return f"encode(convert_to({expression}, 'UTF8'), 'hex')"
        return f"lower(hex({expression}))"

    def token(letter: str, expression: str) -> str:
        return f"'zz{letter}' || {hexed(expression)} || '0'"

    letter = "CASE f.facet " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LETTERS.items()) + " END"
    aggregate = ("string_agg({0}, ' ' ORDER BY f.facet, f.value)" if dialect == 'postgresql'
                 else "group_concat({0}, ' ')")
    facets = aggregate.format(f"'zz' || {letter} || {hexed('f.value')} || '0'")
    year = token('y', "CAST(search_documents.year AS VARCHAR(8))")
    op.execute(
        f"UPDATE search_documents SET tags = {token('t', 'search_documents.record_type')}"  # noqa: S608 (constants only)
        f" || CASE WHEN search_documents.year IS NULL THEN '' ELSE ' ' || {year} END"
        f" || coalesce((SELECT ' ' || {facets} FROM search_facets f"
        " WHERE f.document_id = search_documents.id), '')"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        _drop_sqlite_fts()  # rebuilt below with the new column
    op.add_column('search_documents',
                  sa.Column('tags', sa.Text(), server_default='', nullable=False))
    _fill_tags(dialect)
    if dialect == 'sqlite':
        for statement in _sqlite_fts(['title', 'body', 'tags']):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        _drop_sqlite_fts()
        # Not batch mode: recreating the table would cascade-delete its facet rows.
        op.execute("ALTER TABLE search_documents DROP COLUMN tags")
    else:
        op.drop_column('search_documents', 'tags')
    if dialect == 'sqlite':
        for statement in _sqlite_fts(['title', 'body']):
            op.execute(statement)
