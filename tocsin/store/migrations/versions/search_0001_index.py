"""search index: documents, facets, embeddings; FTS5 on SQLite, tsvector on PostgreSQL

Revision ID: search_0001
Revises: (none; depends on 0001_foundation)
"""

from alembic import op
import sqlalchemy as sa


revision = 'search_0001'
down_revision = None
branch_labels = ('search',)
depends_on = '0001_foundation'

# Kept in step with tocsin.search.autogen, which hides these from autogenerate.
SQLITE_FTS = [
    # External-content FTS5 table: the text lives once, in search_documents.
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_documents', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_documents_fts_update AFTER UPDATE OF title, body ON search_documents "
    "BEGIN INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
POSTGRESQL_TSVECTOR = [
    "ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX ix_search_documents_search_vector ON search_documents "
    "USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('handling', sa.String(length=12), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('parent', sa.String(length=170), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_search_documents_owner_unit_id_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('record_type', 'record_id', name='uq_search_documents_record')
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_owner_unit_id'), ['owner_unit_id'], unique=False)
        batch_op.create_index('ix_search_documents_year', ['year'], unique=False)

    op.create_table('search_embeddings',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('dimensions', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['search_documents.id'], name=op.f('fk_search_embeddings_document_id_search_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_search_embeddings'))
    )
    op.create_table('search_facets',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('facet', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['search_documents.id'], name=op.f('fk_search_facets_document_id_search_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'facet', 'value', name=op.f('pk_search_facets'))
    )
    with op.batch_alter_table('search_facets', schema=None) as batch_op:
        batch_op.create_index('ix_search_facets_value', ['facet', 'value'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == 'sqlite' else POSTGRESQL_TSVECTOR if dialect == 'postgresql' else []:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table('search_facets', schema=None) as batch_op:
        batch_op.drop_index('ix_search_facets_value')

    op.drop_table('search_facets')
    op.drop_table('search_embeddings')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_year')
        batch_op.drop_index(batch_op.f('ix_search_documents_owner_unit_id'))

    op.drop_table('search_documents')
