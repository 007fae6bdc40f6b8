"""login throttling per username and address, idle sessions, hash-chained audit log

Revision ID: 0002_audit_chain
Revises: 0001_foundation
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_audit_chain'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): on SQLite a batch copy would drop the
    # append-only triggers of the audit log.
    op.add_column('audit_log', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.add_column('audit_log', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('row_hash', sa.String(length=64), nullable=True))
    op.create_index('ux_audit_log_seq', 'audit_log', ['seq'], unique=True)
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.execute(sa.text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)")
               .bindparams(h=GENESIS))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
            "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION audit_chain_head_keep() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'the audit chain head cannot be deleted'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_chain_head_keep BEFORE DELETE OR TRUNCATE "
            "ON audit_chain_head FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_keep()"
        )

    op.create_table('login_throttle',
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('username', 'address', name=op.f('pk_login_throttle'))
    )
    op.drop_index('ix_login_attempts_address', table_name='login_attempts')
    op.drop_index('ix_login_attempts_at', table_name='login_attempts')
    op.drop_index('ix_login_attempts_username', table_name='login_attempts')
    op.drop_table('login_attempts')

    op.add_column('login_sessions',
                  sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    op.create_index('ix_login_attempts_username', 'login_attempts', ['username'])
    op.create_index('ix_login_attempts_at', 'login_attempts', ['at'])
    op.create_index('ix_login_attempts_address', 'login_attempts', ['address'])
    op.drop_table('login_throttle')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_keep ON audit_chain_head")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head_keep()")
    op.drop_table('audit_chain_head')
    op.drop_index('ux_audit_log_seq', table_name='audit_log')
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+) keeps the table and its triggers.
    for column in ('row_hash', 'prev_hash', 'seq'):
        op.drop_column('audit_log', column)
