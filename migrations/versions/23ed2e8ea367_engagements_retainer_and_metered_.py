"""engagements: retainer and metered periods, KPI terms, usage records, KPI result notes

Revision ID: 23ed2e8ea367
Revises: c18c3b1e5a27
Create Date: 2026-12-06 20:37:10

"""
import sqlalchemy as sa
from alembic import op

ENGAGEMENTS = "engagement IN ('fixed', 'retainer', 'metered')"


revision = '23ed2e8ea367'
down_revision = 'c18c3b1e5a27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_usage_records_quantity_positive')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_usage_records_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_usage_records_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_records'))
    )
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_records_milestone_id'), ['milestone_id'], unique=False)

    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('cap_per_period', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagement', sa.String(length=16), server_default='fixed', nullable=False))
        batch_op.add_column(sa.Column('unit_price', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('auto_fund', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('ends_after_period', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_now_asked_by', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('periods_proposed', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_contracts_engagement'), ENGAGEMENTS)

    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('base_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('funded_amount', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('released_amount', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('funding_reminder_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('start_notice_sent_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('kpi_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('tender_kpis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bonus_bps', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('penalty_bps', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_tender_kpis_bonus_bps_range'), 'bonus_bps BETWEEN 0 AND 3000')
        batch_op.create_check_constraint(batch_op.f('ck_tender_kpis_penalty_bps_range'),
                                         'penalty_bps BETWEEN 0 AND 3000')

    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagement', sa.String(length=16), server_default='fixed', nullable=False))
        batch_op.add_column(sa.Column('period_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('periods', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unit', sa.String(length=40), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_tenders_engagement'), ENGAGEMENTS)
        batch_op.create_check_constraint(batch_op.f('ck_tenders_period_days_range'),
                                         'period_days IS NULL OR period_days BETWEEN 7 AND 92')
        batch_op.create_check_constraint(batch_op.f('ck_tenders_periods_range'), 'periods IS NULL OR periods BETWEEN 1 AND 36')



def downgrade():
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        for name in ('engagement', 'period_days_range', 'periods_range'):
            batch_op.drop_constraint(batch_op.f(f'ck_tenders_{name}'), type_='check')
        batch_op.drop_column('unit')
        batch_op.drop_column('periods')
        batch_op.drop_column('period_days')
        batch_op.drop_column('engagement')

    with op.batch_alter_table('tender_kpis', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tender_kpis_bonus_bps_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_tender_kpis_penalty_bps_range'), type_='check')
        batch_op.drop_column('penalty_bps')
        batch_op.drop_column('bonus_bps')

    with op.batch_alter_table('kpi_results', schema=None) as batch_op:
        batch_op.drop_column('note')

    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('start_notice_sent_at')
        batch_op.drop_column('funding_reminder_sent_at')
        batch_op.drop_column('released_amount')
        batch_op.drop_column('funded_amount')
        batch_op.drop_column('base_amount')
        batch_op.drop_column('starts_at')
        batch_op.drop_column('period_index')

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contracts_engagement'), type_='check')
        batch_op.drop_column('periods_proposed')
        batch_op.drop_column('end_now_asked_by')
        batch_op.drop_column('ends_after_period')
        batch_op.drop_column('auto_fund')
        batch_op.drop_column('unit_price')
        batch_op.drop_column('engagement')

    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_column('cap_per_period')
        batch_op.drop_column('unit_price')

    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_records_milestone_id'))

    op.drop_table('usage_records')
