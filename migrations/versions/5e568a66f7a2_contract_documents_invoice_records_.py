"""contract documents, invoice records, brands' invoice title and tax id

Revision ID: 5e568a66f7a2
Revises: c4b18a5e2f70
Create Date: 2026-12-07 00:37:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5e568a66f7a2'
down_revision = 'c4b18a5e2f70'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_documents_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_documents')),
    sa.UniqueConstraint('contract_id', name=op.f('uq_contract_documents_contract_id'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tax_id', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tax_rate_bps', sa.Integer(), nullable=False),
    sa.Column('tax_amount', sa.BigInteger(), nullable=False),
    sa.Column('stored_name', sa.String(length=300), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('provider', 'platform')", name=op.f('ck_invoices_kind_known')),
    sa.CheckConstraint('amount > 0 AND tax_amount >= 0', name=op.f('ck_invoices_amounts_valid')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_invoices_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issuer_id'], ['users.id'], name=op.f('fk_invoices_issuer_id_users')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_invoices_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_invoices_recipient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('milestone_id', 'kind', name='uq_invoice_per_release')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('uq_invoices_issuer_number', ['issuer_id', 'number'], unique=True)

    with op.batch_alter_table('brand_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_title', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tax_id', sa.String(length=32), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('brand_profiles', schema=None) as batch_op:
        batch_op.drop_column('tax_id')
        batch_op.drop_column('invoice_title')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_invoices_issuer_number')
        batch_op.drop_index(batch_op.f('ix_invoices_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_contract_id'))

    op.drop_table('invoices')
    op.drop_table('contract_documents')
