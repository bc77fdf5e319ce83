"""conversations: private threads per tender and provider or per contract, messages with files and
reports, read state per member

Revision ID: c0a7e1d2b3f4
Revises: f18a7c2e5b90
Create Date: 2026-12-06 18:45:28

"""
import sqlalchemy as sa
from alembic import op

revision = 'c0a7e1d2b3f4'
down_revision = 'f18a7c2e5b90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(tender_id IS NULL) <> (contract_id IS NULL)', name=op.f('ck_conversations_one_subject')),
    sa.ForeignKeyConstraint(['brand_id'], ['users.id'], name=op.f('fk_conversations_brand_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_conversations_contract_id_contracts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_conversations_provider_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_conversations_tender_id_tenders'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('key', name=op.f('uq_conversations_key'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_last_message_at'), ['last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_tender_id'), ['tender_id'], unique=False)

    op.create_table('conversation_reads',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                            name=op.f('fk_conversation_reads_conversation_id_conversations'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_reads_user_id_users')),
    sa.PrimaryKeyConstraint('conversation_id', 'user_id', name=op.f('pk_conversation_reads'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('sender_account_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('contact_warning', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('report_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                            name=op.f('fk_messages_conversation_id_conversations'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_messages_reported_by_id_users')),
    sa.ForeignKeyConstraint(['sender_account_id'], ['users.id'], name=op.f('fk_messages_sender_account_id_users')),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_messages_sender_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_conversation_id_id', ['conversation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_reported_at'), ['reported_at'], unique=False)

    op.create_table('message_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_files_message_id_messages'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_message_files_stored_name'))
    )
    with op.batch_alter_table('message_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_files_message_id'), ['message_id'], unique=False)



def downgrade():
    with op.batch_alter_table('message_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_files_message_id'))

    op.drop_table('message_files')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_reported_at'))
        batch_op.drop_index('ix_messages_conversation_id_id')

    op.drop_table('messages')
    op.drop_table('conversation_reads')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_tender_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_provider_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_last_message_at'))
        batch_op.drop_index(batch_op.f('ix_conversations_contract_id'))
        batch_op.drop_index(batch_op.f('ix_conversations_brand_id'))

    op.drop_table('conversations')
