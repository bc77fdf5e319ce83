"""organisations, memberships, invitations and two-member fund requests; every existing brand and
provider becomes a one-member organisation it owns

Revision ID: e4b1c8a2f6d3
Revises: e4f1a9c2b7d3
Create Date: 2026-12-06 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e4b1c8a2f6d3'
down_revision = 'e4f1a9c2b7d3'
branch_labels = None
depends_on = None

ROLES = "'bid_manager', 'delivery', 'evaluator', 'finance', 'owner', 'procurement', 'viewer'"


def upgrade():
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_user_id', sa.Integer(), nullable=False),
    sa.Column('dual_fund_above', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('brand', 'provider')", name=op.f('ck_organisations_kind')),
    sa.ForeignKeyConstraint(['account_user_id'], ['users.id'], name=op.f('fk_organisations_account_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('account_user_id', name=op.f('uq_organisations_account_user_id'))
    )
    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"role IN ({ROLES})", name=op.f('ck_memberships_role')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_memberships_invited_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_memberships_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', name=op.f('uq_memberships_user_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('org_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_org_invitations_accepted_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_org_invitations_invited_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_org_invitations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_invitations'))
    )
    with op.batch_alter_table('org_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_invitations_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('fund_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_fund_requests_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_fund_requests_milestone_id_milestones'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_fund_requests_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_fund_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_requests')),
    sa.UniqueConstraint('milestone_id', name=op.f('uq_fund_requests_milestone_id'))
    )
    with op.batch_alter_table('fund_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_requests_organisation_id'), ['organisation_id'], unique=False)

    # Every brand and provider account becomes the principal and only member (owner) of its own
    # organisation, named as the other side sees it today: the company/store name, else the display name.
    op.execute("""
        INSERT INTO organisations (name, kind, account_user_id, created_at)
        SELECT COALESCE(NULLIF(TRIM(COALESCE(pp.company_name, bp.store_name, '')), ''), u.display_name),
               u.role, u.id, u.created_at
        FROM users u
        LEFT JOIN provider_profiles pp ON pp.user_id = u.id AND u.role = 'provider'
        LEFT JOIN brand_profiles bp ON bp.user_id = u.id AND u.role = 'brand'
        WHERE u.role IN ('brand', 'provider')
        ORDER BY u.id
    """)
    op.execute("""
        INSERT INTO memberships (organisation_id, user_id, role, joined_at)
        SELECT o.id, o.account_user_id, 'owner', o.created_at FROM organisations o
    """)


def downgrade():
    with op.batch_alter_table('fund_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_requests_organisation_id'))
    op.drop_table('fund_requests')
    with op.batch_alter_table('org_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_invitations_organisation_id'))
    op.drop_table('org_invitations')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_organisation_id'))
    op.drop_table('memberships')
    op.drop_table('organisations')
