"""IATI register: activities as published, transactions, budgets, sectors, recipients;
organisation files

Revision ID: tf_0002_iati
Revises: tf_0001 (depends on coop_0001 for tf_partners)
"""

import sqlalchemy as sa
from alembic import op

revision = 'tf_0002_iati'
down_revision = 'tf_0001'
branch_labels = None
depends_on = 'coop_0001'


def upgrade() -> None:
    op.create_table('tf_iati_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('element', sa.String(length=24), nullable=False),
    sa.Column('type', sa.Integer(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('value', sa.Numeric(precision=22, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('provider_ref', sa.String(length=200), nullable=False),
    sa.Column('provider_activity_id', sa.String(length=200), nullable=False),
    sa.Column('provider_name', sa.String(length=300), nullable=False),
    sa.Column('receiver_ref', sa.String(length=200), nullable=False),
    sa.Column('receiver_activity_id', sa.String(length=200), nullable=False),
    sa.Column('receiver_name', sa.String(length=300), nullable=False),
    sa.CheckConstraint("element IN ('budget', 'planned-disbursement')", name=op.f('ck_tf_iati_budgets_element')),
    sa.ForeignKeyConstraint(['activity_id'], ['tf_activities.id'], name=op.f('fk_tf_iati_budgets_activity_id_tf_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tf_iati_budgets'))
    )
    op.create_index(op.f('ix_tf_iati_budgets_activity_id'), 'tf_iati_budgets', ['activity_id'], unique=False)
    op.create_table('tf_iati_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('version', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['tf_partners.id'], name=op.f('fk_tf_iati_organisations_partner_id_tf_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tf_iati_organisations')),
    sa.UniqueConstraint('identifier', name=op.f('uq_tf_iati_organisations_identifier'))
    )
    op.create_index(op.f('ix_tf_iati_organisations_partner_id'), 'tf_iati_organisations', ['partner_id'], unique=False)
    op.create_table('tf_iati_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('vocabulary', sa.String(length=4), nullable=False),
    sa.Column('vocabulary_uri', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('percentage', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.CheckConstraint("kind IN ('country', 'region')", name=op.f('ck_tf_iati_recipients_kind')),
    sa.ForeignKeyConstraint(['activity_id'], ['tf_activities.id'], name=op.f('fk_tf_iati_recipients_activity_id_tf_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tf_iati_recipients'))
    )
    op.create_index(op.f('ix_tf_iati_recipients_activity_id'), 'tf_iati_recipients', ['activity_id'], unique=False)
    op.create_index(op.f('ix_tf_iati_recipients_code'), 'tf_iati_recipients', ['code'], unique=False)
    op.create_table('tf_iati_records',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['tf_activities.id'], name=op.f('fk_tf_iati_records_activity_id_tf_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', name=op.f('pk_tf_iati_records'))
    )
    op.create_table('tf_iati_sectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('vocabulary', sa.String(length=4), nullable=False),
    sa.Column('vocabulary_uri', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('percentage', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['tf_activities.id'], name=op.f('fk_tf_iati_sectors_activity_id_tf_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tf_iati_sectors'))
    )
    op.create_index(op.f('ix_tf_iati_sectors_activity_id'), 'tf_iati_sectors', ['activity_id'], unique=False)
    op.create_table('tf_iati_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type_code', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('humanitarian', sa.Boolean(), nullable=True),
    sa.Column('transaction_date', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=22, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('provider_ref', sa.String(length=200), nullable=False),
    sa.Column('provider_type', sa.String(length=4), nullable=False),
    sa.Column('provider_activity_id', sa.String(length=200), nullable=False),
    sa.Column('provider_name', sa.String(length=300), nullable=False),
    sa.Column('receiver_ref', sa.String(length=200), nullable=False),
    sa.Column('receiver_type', sa.String(length=4), nullable=False),
    sa.Column('receiver_activity_id', sa.String(length=200), nullable=False),
    sa.Column('receiver_name', sa.String(length=300), nullable=False),
    sa.Column('disbursement_channel', sa.String(length=4), nullable=False),
    sa.Column('flow_type', sa.String(length=4), nullable=False),
    sa.Column('finance_type', sa.String(length=4), nullable=False),
    sa.Column('aid_types', sa.String(length=200), nullable=False),
    sa.Column('tied_status', sa.String(length=4), nullable=False),
    sa.Column('sector_vocabulary', sa.String(length=4), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=False),
    sa.Column('recipient_country', sa.String(length=2), nullable=False),
    sa.Column('region_vocabulary', sa.String(length=4), nullable=False),
    sa.Column('recipient_region', sa.String(length=40), nullable=False),
    sa.CheckConstraint('type_code BETWEEN 1 AND 13', name=op.f('ck_tf_iati_transactions_type_code')),
    sa.ForeignKeyConstraint(['activity_id'], ['tf_activities.id'], name=op.f('fk_tf_iati_transactions_activity_id_tf_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tf_iati_transactions'))
    )
    op.create_index(op.f('ix_tf_iati_transactions_activity_id'), 'tf_iati_transactions', ['activity_id'], unique=False)
    op.create_table('tf_iati_org_finance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('element', sa.String(length=30), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=22, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['tf_iati_organisations.id'], name=op.f('fk_tf_iati_org_finance_organisation_id_tf_iati_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tf_iati_org_finance'))
    )
    op.create_index(op.f('ix_tf_iati_org_finance_organisation_id'), 'tf_iati_org_finance', ['organisation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_tf_iati_org_finance_organisation_id'), table_name='tf_iati_org_finance')
    op.drop_table('tf_iati_org_finance')
    op.drop_index(op.f('ix_tf_iati_transactions_activity_id'), table_name='tf_iati_transactions')
    op.drop_table('tf_iati_transactions')
    op.drop_index(op.f('ix_tf_iati_sectors_activity_id'), table_name='tf_iati_sectors')
    op.drop_table('tf_iati_sectors')
    op.drop_table('tf_iati_records')
    op.drop_index(op.f('ix_tf_iati_recipients_code'), table_name='tf_iati_recipients')
    op.drop_index(op.f('ix_tf_iati_recipients_activity_id'), table_name='tf_iati_recipients')
    op.drop_table('tf_iati_recipients')
    op.drop_index(op.f('ix_tf_iati_organisations_partner_id'), table_name='tf_iati_organisations')
    op.drop_table('tf_iati_organisations')
    op.drop_index(op.f('ix_tf_iati_budgets_activity_id'), table_name='tf_iati_budgets')
    op.drop_table('tf_iati_budgets')
