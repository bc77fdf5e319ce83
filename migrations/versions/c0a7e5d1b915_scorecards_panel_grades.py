"""scorecards: round criteria, tender panels with declarations, grades, grading closures, bid openings (who opened which bid); tenders.blind_grading

Revision ID: c0a7e5d1b915
Revises: 9a7c3e5b1d20
Create Date: 2026-12-06 18:45:26

"""
import sqlalchemy as sa
from alembic import op

revision = 'c0a7e5d1b915'
down_revision = '9a7c3e5b1d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grading_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('round_index', sa.Integer(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_grading_closures_closed_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_grading_closures_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grading_closures')),
    sa.UniqueConstraint('tender_id', 'round_index', name=op.f('uq_grading_closures_tender_id_round_index'))
    )
    with op.batch_alter_table('grading_closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grading_closures_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('round_index', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('deal_breaker', sa.Boolean(), nullable=False),
    sa.CheckConstraint('weight BETWEEN 0 AND 100', name=op.f('ck_tender_criteria_weight_range')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_criteria_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_criteria')),
    sa.UniqueConstraint('tender_id', 'round_index', 'name', name=op.f('uq_tender_criteria_tender_id_round_index_name'))
    )
    with op.batch_alter_table('tender_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_criteria_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_panel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('conflict', sa.Boolean(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_tender_panel_tender_id_tenders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tender_panel_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_panel')),
    sa.UniqueConstraint('tender_id', 'user_id', name=op.f('uq_tender_panel_tender_id_user_id'))
    )
    with op.batch_alter_table('tender_panel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_panel_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_panel_user_id'), ['user_id'], unique=False)

    op.create_table('bid_grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('grader_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('mark', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('mark BETWEEN 0 AND 10', name=op.f('ck_bid_grades_mark_range')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_grades_bid_id_bids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_id'], ['tender_criteria.id'], name=op.f('fk_bid_grades_criterion_id_tender_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grader_id'], ['users.id'], name=op.f('fk_bid_grades_grader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_grades')),
    sa.UniqueConstraint('bid_id', 'grader_id', 'criterion_id', name=op.f('uq_bid_grades_bid_id_grader_id_criterion_id'))
    )
    with op.batch_alter_table('bid_grades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_grades_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_grades_criterion_id'), ['criterion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_grades_grader_id'), ['grader_id'], unique=False)

    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind_grading', sa.Boolean(), server_default=sa.false(), nullable=False))


    op.create_table('bid_openings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=16), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['bid_attachments.id'], name=op.f('fk_bid_openings_attachment_id_bid_attachments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_openings_bid_id_bids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bid_openings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_openings'))
    )
    with op.batch_alter_table('bid_openings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_openings_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_openings_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_openings_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bid_openings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_openings_user_id'))
        batch_op.drop_index(batch_op.f('ix_bid_openings_opened_at'))
        batch_op.drop_index(batch_op.f('ix_bid_openings_bid_id'))

    op.drop_table('bid_openings')

    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.drop_column('blind_grading')

    with op.batch_alter_table('bid_grades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_grades_grader_id'))
        batch_op.drop_index(batch_op.f('ix_bid_grades_criterion_id'))
        batch_op.drop_index(batch_op.f('ix_bid_grades_bid_id'))

    op.drop_table('bid_grades')
    with op.batch_alter_table('tender_panel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_panel_user_id'))
        batch_op.drop_index(batch_op.f('ix_tender_panel_tender_id'))

    op.drop_table('tender_panel')
    with op.batch_alter_table('tender_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_criteria_tender_id'))

    op.drop_table('tender_criteria')
    with op.batch_alter_table('grading_closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grading_closures_tender_id'))

    op.drop_table('grading_closures')
