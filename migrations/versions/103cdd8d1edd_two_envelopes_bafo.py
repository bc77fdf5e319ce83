"""two envelopes and best-and-final offers: tender_envelopes, bafo_rounds, bids.technical_result/bafo columns, tenders.two_envelope

Revision ID: 103cdd8d1edd
Revises: d4e6f8a0b2c4
Create Date: 2026-12-06 20:37:21.192641

"""
import sqlalchemy as sa
from alembic import op

revision = '103cdd8d1edd'
down_revision = 'd4e6f8a0b2c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bafo_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_bafo_rounds_opened_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_bafo_rounds_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bafo_rounds'))
    )
    with op.batch_alter_table('bafo_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bafo_rounds_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_envelopes',
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('technical_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('technical_opened_by_id', sa.Integer(), nullable=True),
    sa.Column('price_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('price_opened_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'price') = (price_opened_at IS NOT NULL)", name=op.f('ck_tender_envelopes_price_recorded')),
    sa.CheckConstraint("(status = 'sealed') = (technical_opened_at IS NULL)", name=op.f('ck_tender_envelopes_technical_recorded')),
    sa.CheckConstraint("status IN ('sealed', 'technical', 'price')", name=op.f('ck_tender_envelopes_status')),
    sa.ForeignKeyConstraint(['price_opened_by_id'], ['users.id'], name=op.f('fk_tender_envelopes_price_opened_by_id_users')),
    sa.ForeignKeyConstraint(['technical_opened_by_id'], ['users.id'], name=op.f('fk_tender_envelopes_technical_opened_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_envelopes_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tender_id', name=op.f('pk_tender_envelopes'))
    )
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('technical_result', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('technical_decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('technical_decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('bafo_round_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_offer_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('final_offer_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_bids_bafo_round_id'), ['bafo_round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bids_technical_decided_by_id_users'), 'users', ['technical_decided_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_bids_bafo_round_id_bafo_rounds'), 'bafo_rounds', ['bafo_round_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_bids_technical_result'),
                                         "technical_result IN ('passed', 'failed')")

    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('two_envelope', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.drop_column('two_envelope')

    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bids_technical_result'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_bids_bafo_round_id_bafo_rounds'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_bids_technical_decided_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bids_bafo_round_id'))
        batch_op.drop_column('final_offer_at')
        batch_op.drop_column('first_offer_revision')
        batch_op.drop_column('bafo_round_id')
        batch_op.drop_column('technical_decided_by_id')
        batch_op.drop_column('technical_decided_at')
        batch_op.drop_column('technical_result')

    op.drop_table('tender_envelopes')
    with op.batch_alter_table('bafo_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bafo_rounds_tender_id'))

    op.drop_table('bafo_rounds')
