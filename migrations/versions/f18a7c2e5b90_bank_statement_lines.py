"""bank statement lines: imported bank transactions, each credited once, and staff's queue of
lines that matched no wallet

Revision ID: f18a7c2e5b90
Revises: e4b1c8a2f6d3
Create Date: 2026-12-06 18:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f18a7c2e5b90'
down_revision = 'e4b1c8a2f6d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_key', sa.String(length=120), nullable=False),
    sa.Column('transaction_id', sa.String(length=120), nullable=False),
    sa.Column('bank', sa.String(length=40), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('credited', 'unmatched', 'assigned', 'returned')",
                       name=op.f('ck_bank_statement_lines_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bank_statement_lines_amount_positive')),
    sa.ForeignKeyConstraint(['brand_id'], ['users.id'], name=op.f('fk_bank_statement_lines_brand_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_bank_statement_lines_decided_by_id_users')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'],
                            name=op.f('fk_bank_statement_lines_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statement_lines')),
    sa.UniqueConstraint('transaction_key', name=op.f('uq_bank_statement_lines_transaction_key'))
    )
    with op.batch_alter_table('bank_statement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statement_lines_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_statement_lines_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_statement_lines_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('bank_statement_lines')
