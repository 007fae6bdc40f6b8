"""search: covering index for the read policy and facets

Revision ID: search_0002
Revises: search_0001
"""

from alembic import op


revision = 'search_0002'
down_revision = 'search_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_access', ['id', 'handling', 'owner_unit_id', 'record_type', 'year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_access')
