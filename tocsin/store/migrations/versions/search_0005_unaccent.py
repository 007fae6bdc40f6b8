"""search: unaccented matching on PostgreSQL (São Tomé finds Sao Tome)

Revision ID: search_0005
Revises: search_0004

SQLite's FTS5 index already folds accents (``remove_diacritics 2``). On PostgreSQL the
``unaccent`` extension's dictionary is wrapped in an IMMUTABLE function so the
generated ``search_vector`` column can use it; queries pass through the same function.
"""

from alembic import op


revision = 'search_0005'
down_revision = 'search_0004'
branch_labels = None
depends_on = None


def _vector(unaccented: bool) -> list[str]:
    def text(column: str) -> str:
        value = f"coalesce({column}, '')"
        return f"tocsin_unaccent({value})" if unaccented else value

    return [
        "DROP INDEX IF EXISTS ix_search_documents_search_vector",
        "ALTER TABLE search_documents DROP COLUMN IF EXISTS search_vector",
        "ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('english'::regconfig, {text('title')}), 'A') || "
        f"setweight(to_tsvector('english'::regconfig, {text('body')}), 'B')) STORED",
        "CREATE INDEX ix_search_documents_search_vector ON search_documents "
        "USING gin (search_vector)",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(
        "CREATE OR REPLACE FUNCTION tocsin_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
        "$$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$")
    for statement in _vector(unaccented=True):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for statement in _vector(unaccented=False):
        op.execute(statement)
    op.execute("DROP FUNCTION IF EXISTS tocsin_unaccent(text)")
