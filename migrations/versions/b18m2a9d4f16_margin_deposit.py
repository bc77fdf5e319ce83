"""margin deposit: the margin staff require per category, a tender's own requirement, and awards of a
provider's margin to a brand after a lost dispute

Revision ID: b18m2a9d4f16
Revises: a18w1d7c3e05
Create Date: 2026-12-06 21:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b18m2a9d4f16'
down_revision = 'a18w1d7c3e05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('margin_required', sa.BigInteger(), server_default='0', nullable=False))
    op.create_table('category_margins',
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_category_margins_amount_not_negative')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_category_margins_updated_by_id_users')),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_category_margins'))
    )
    op.create_table('margin_awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'applied', 'rejected')", name=op.f('ck_margin_awards_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_margin_awards_amount_positive')),
    sa.ForeignKeyConstraint(['brand_id'], ['users.id'], name=op.f('fk_margin_awards_brand_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_margin_awards_decided_by_id_users')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_margin_awards_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_margin_awards_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_margin_awards_provider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_margin_awards'))
    )
    with op.batch_alter_table('margin_awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_margin_awards_dispute_id'), ['dispute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_margin_awards_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_margin_awards_status'), ['status'], unique=False)
        batch_op.create_index('uq_margin_awards_pending', ['dispute_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_table('margin_awards')
    op.drop_table('category_margins')
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.drop_column('margin_required')
