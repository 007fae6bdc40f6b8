"""i18n: the language each user chose for the pages

Revision ID: i18n_0001
Revises: (none; depends on 0001_foundation)
"""

from alembic import op
import sqlalchemy as sa


revision = 'i18n_0001'
down_revision = None
branch_labels = ('i18n',)
depends_on = '0001_foundation'


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
