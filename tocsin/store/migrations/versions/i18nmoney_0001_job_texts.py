"""jobs: the messages of a job's progress and error kept with their values, so the pages
show them in the reader's language

Revision ID: i18nmoney_0001
Revises: (none; depends on jobs_0001)
"""

from alembic import op
import sqlalchemy as sa


revision = 'i18nmoney_0001'
down_revision = None
branch_labels = ('i18n-money',)
depends_on = 'jobs_0001'


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('texts')
