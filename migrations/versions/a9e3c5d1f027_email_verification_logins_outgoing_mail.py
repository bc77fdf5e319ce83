"""e-mail verification, per-login tokens (revocable sessions), outgoing mail

Revision ID: a9e3c5d1f027
Revises: b7e2d4a91c30
Create Date: 2026-12-06 14:50:00

Every account that exists before this revision is marked verified: they are the demo and legacy
accounts, made before the platform mailed anyone a link, and locking them out of bidding, awarding,
funding and payouts would stop work in progress. Accounts registered from now on verify by e-mail.

Sessions and "keep me logged in" cookies issued before this revision name no login row, so they are
refused once it runs: everyone logs in once more.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'a9e3c5d1f027'
down_revision = 'b7e2d4a91c30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_notifications', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    users = sa.table('users', sa.column('email_verified_at', sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # stored as naive UTC on SQLite (models.types.UTCDateTime)
    op.execute(users.update().values(email_verified_at=now))

    op.create_table(
        'user_logins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_logins_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_logins')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_logins_token_hash')),
    )
    op.create_index(op.f('ix_user_logins_user_id'), 'user_logins', ['user_id'], unique=False)

    op.create_table(
        'outgoing_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('text_body', sa.Text(), nullable=False),
        sa.Column('html_body', sa.Text(), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outgoing_mail_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
        sa.UniqueConstraint('message_id', name=op.f('uq_outgoing_mail_message_id')),
    )
    op.create_index('ix_outgoing_mail_due', 'outgoing_mail', ['sent_at', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outgoing_mail_user_id'), 'outgoing_mail', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_outgoing_mail_user_id'), table_name='outgoing_mail')
    op.drop_index('ix_outgoing_mail_due', table_name='outgoing_mail')
    op.drop_table('outgoing_mail')
    op.drop_index(op.f('ix_user_logins_user_id'), table_name='user_logins')
    op.drop_table('user_logins')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_notifications')
        batch_op.drop_column('email_verified_at')
