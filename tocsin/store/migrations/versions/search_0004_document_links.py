"""search: attached documents link to their activity's documents section

Revision ID: search_0004
Revises: search_0003

The activity page has no anchor per document; results for attached files now
point to ``/programmes/<activity>#documents`` (as the provider writes them).
"""

from alembic import op


revision = 'search_0004'
down_revision = 'search_0003'
branch_labels = None
depends_on = None


def _set_anchor(anchor_sql: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        base = "split_part(url, '#', 1)"
    else:
        base = "substr(url, 1, instr(url || '#', '#') - 1)"
    op.execute(f"UPDATE search_documents SET url = {base} || {anchor_sql} "  # noqa: S608
               "WHERE record_type = 'document'")


def upgrade() -> None:
    _set_anchor("'#documents'")


def downgrade() -> None:
    _set_anchor("'#document-' || record_id")
