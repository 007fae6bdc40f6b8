"""coherence: versions of the analysis's inputs

Revision ID: coh_0002
Revises: coh_0001
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'coh_0002'
down_revision = 'coh_0001'
branch_labels = None
depends_on = None

INPUTS = ("portfolio", "indicators", "judgements", "lessons", "settings")


def upgrade() -> None:
    table = op.create_table(
        'coh_input_versions',
        sa.Column('name', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_coh_input_versions')),
    )
    op.bulk_insert(table, [{"name": name, "version": 0, "token": uuid.uuid4().hex,
                            "changed_at": datetime.now(UTC)} for name in INPUTS])


def downgrade() -> None:
    op.drop_table('coh_input_versions')
