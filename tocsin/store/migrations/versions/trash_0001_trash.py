"""trash: deleted records kept for restore until their retention period ends

Revision ID: trash_0001
Revises: (none; depends on 0001_foundation)
"""

from alembic import op
import sqlalchemy as sa


revision = 'trash_0001'
down_revision = None
branch_labels = ('trash',)
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('trash_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('handling', sa.String(length=12), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_by', sa.String(length=80), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'],
                            name=op.f('fk_trash_items_owner_unit_id_units'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trash_items'))
    )
    with op.batch_alter_table('trash_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trash_items_deleted_at'), ['deleted_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trash_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trash_items_deleted_at'))
    op.drop_table('trash_items')
