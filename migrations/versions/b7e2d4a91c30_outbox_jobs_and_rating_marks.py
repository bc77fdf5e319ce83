"""outbox_jobs and rating_marks: after-commit work and re-rating marks kept in the database, written in
the business transaction (they were only in Redis, and lost with it)

Revision ID: b7e2d4a91c30
Revises: b4d2e8f1a7c3
Create Date: 2026-12-06 14:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e2d4a91c30'
down_revision = 'b4d2e8f1a7c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('queue', sa.String(length=40), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=64), nullable=False),
        sa.Column('rq_job_id', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_jobs')),
    )
    op.create_index('ix_outbox_jobs_available_at', 'outbox_jobs', ['available_at', 'id'], unique=False)
    op.create_table(
        'rating_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('taken_by', sa.String(length=32), nullable=True),
        sa.Column('taken_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_marks')),
    )
    op.create_index(op.f('ix_rating_marks_provider_id'), 'rating_marks', ['provider_id'], unique=False)
    op.create_index(op.f('ix_rating_marks_taken_by'), 'rating_marks', ['taken_by'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_rating_marks_taken_by'), table_name='rating_marks')
    op.drop_index(op.f('ix_rating_marks_provider_id'), table_name='rating_marks')
    op.drop_table('rating_marks')
    op.drop_index('ix_outbox_jobs_available_at', table_name='outbox_jobs')
    op.drop_table('outbox_jobs')
