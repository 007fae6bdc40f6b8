"""IATI organisation files: the recipient's name and the value date in the typed rows

Revision ID: tf_0003_org_recipient_name
Revises: tf_0002_iati

A ``recipient-org-budget`` whose ``recipient-org`` has no ``@ref`` named its
recipient only in the stored XML; its narrative is now kept in
``tf_iati_org_finance.recipient_name``, next to the value's ``@value-date``. Rows
imported before are left with an empty name and no value date until their file is
imported again (the stored XML keeps both).
"""

import sqlalchemy as sa
from alembic import op

revision = 'tf_0003_org_recipient_name'
down_revision = 'tf_0002_iati'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tf_iati_org_finance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_name', sa.String(length=300),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('value_date', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tf_iati_org_finance', schema=None) as batch_op:
        batch_op.drop_column('value_date')
        batch_op.drop_column('recipient_name')
