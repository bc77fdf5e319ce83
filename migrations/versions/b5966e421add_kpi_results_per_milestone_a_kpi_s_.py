"""KPI results per milestone; a KPI's direction

Revision ID: b5966e421add
Revises: ce80bbf6e772
Create Date: 2026-11-22 06:02:21.628646

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5966e421add'
down_revision = 'ce80bbf6e772'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kpi_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_kpi_results_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kpi_id'], ['tender_kpis.id'], name=op.f('fk_kpi_results_kpi_id_tender_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_kpi_results_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_kpi_results_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_results')),
    sa.UniqueConstraint('milestone_id', 'kpi_id', name='uq_kpi_result_per_milestone')
    )
    with op.batch_alter_table('kpi_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_results_contract_id'), ['contract_id'], unique=False)

    with op.batch_alter_table('tender_kpis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=8), server_default='at_least', nullable=False))



def downgrade():
    with op.batch_alter_table('tender_kpis', schema=None) as batch_op:
        batch_op.drop_column('direction')

    with op.batch_alter_table('kpi_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_results_contract_id'))

    op.drop_table('kpi_results')
