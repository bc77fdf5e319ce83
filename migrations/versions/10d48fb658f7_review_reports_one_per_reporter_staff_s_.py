"""review reports: one per reporter, staff's reason

Revision ID: 10d48fb658f7
Revises: b5966e421add
Create Date: 2026-12-06 05:38:23.515343

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '10d48fb658f7'
down_revision = 'b5966e421add'
branch_labels = None
depends_on = None


def upgrade():
    # Repeated reports of one review by one user were possible until now: keep each reporter's first.
    op.execute("DELETE FROM review_reports WHERE id NOT IN "
               "(SELECT min(id) FROM review_reports GROUP BY reporter_id, review_id)")
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_reason', sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_review_reports_reporter_id_review_id'), ['reporter_id', 'review_id'])


def downgrade():
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_review_reports_reporter_id_review_id'), type_='unique')
        batch_op.drop_column('handled_reason')
