"""provider_profiles: a registration number is verified for one provider at most (unique partial index)

Revision ID: b5d2e8f41a67
Revises: a9e3c5d1f027
Create Date: 2026-12-06 14:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b5d2e8f41a67'
down_revision = 'a9e3c5d1f027'
branch_labels = None
depends_on = None

WHERE = sa.text("verified_registration_number IS NOT NULL")


def upgrade():
    # Before the index can exist, a number verified for several providers stays verified only for the
    # first of them; the others go back to pending with the number they submitted, for staff to decide
    # again (nothing else is changed).
    op.execute(
        "UPDATE provider_profiles SET verification_status = 'pending', verified_registration_number = NULL "
        "WHERE verified_registration_number IS NOT NULL AND EXISTS (SELECT 1 FROM provider_profiles AS first "
        "WHERE first.verified_registration_number = provider_profiles.verified_registration_number "
        "AND first.user_id < provider_profiles.user_id)")
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.create_index('uq_provider_profiles_verified_number', ['verified_registration_number'], unique=True,
                              sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade():
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.drop_index('uq_provider_profiles_verified_number', sqlite_where=WHERE, postgresql_where=WHERE)
