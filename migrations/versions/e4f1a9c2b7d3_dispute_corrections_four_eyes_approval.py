"""dispute_corrections: four-eyes approval of dispute corrections, who proposed and who approved

Revision ID: e4f1a9c2b7d3
Revises: e5b1a7c3d902
Create Date: 2026-12-06 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e4f1a9c2b7d3'
down_revision = 'e5b1a7c3d902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dispute_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('posting_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("direction IN ('to_brand', 'to_provider')", name=op.f('ck_dispute_corrections_direction')),
    sa.CheckConstraint("status IN ('pending', 'applied', 'rejected')", name=op.f('ck_dispute_corrections_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_dispute_corrections_amount_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_dispute_corrections_decided_by_id_users')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_corrections_dispute_id_disputes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['posting_id'], ['ledger_postings.id'], name=op.f('fk_dispute_corrections_posting_id_ledger_postings')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_dispute_corrections_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_corrections'))
    )
    with op.batch_alter_table('dispute_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_corrections_dispute_id'), ['dispute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispute_corrections_status'), ['status'], unique=False)
        batch_op.create_index('uq_dispute_corrections_pending', ['dispute_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
    _backfill_applied_corrections()


def _backfill_applied_corrections():
    """Corrections made before this table existed were recorded only as "adjusted" dispute events: each
    becomes an applied row proposed and approved by the staff member who made it, with its posting
    (keyed `adjustment:dispute:<id>:<n>`, n counting that dispute's corrections from 1)."""
    events = sa.table("dispute_events", sa.column("id", sa.Integer), sa.column("dispute_id", sa.Integer),
                      sa.column("actor_id", sa.Integer), sa.column("action", sa.String),
                      sa.column("detail", sa.JSON), sa.column("created_at"))
    postings = sa.table("ledger_postings", sa.column("id", sa.Integer), sa.column("key", sa.String))
    corrections = sa.table("dispute_corrections", *(sa.column(name) for name in (
        "dispute_id", "amount", "direction", "reason", "status", "proposed_by_id", "proposed_at", "decided_by_id",
        "decided_at", "posting_id")))
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).where(events.c.action == "adjusted")
                        .order_by(events.c.dispute_id, events.c.id)).all()
    number: dict[int, int] = {}
    for row in rows:
        number[row.dispute_id] = number.get(row.dispute_id, 0) + 1
        key = f"adjustment:dispute:{row.dispute_id}:{number[row.dispute_id]}"
        posting_id = bind.execute(sa.select(postings.c.id).where(postings.c.key == key)).scalar()
        detail = row.detail or {}
        bind.execute(corrections.insert().values(
            dispute_id=row.dispute_id, amount=detail["amount"], direction=detail["direction"],
            reason=detail.get("reason") or "", status="applied", proposed_by_id=row.actor_id,
            proposed_at=row.created_at, decided_by_id=row.actor_id, decided_at=row.created_at, posting_id=posting_id))



def downgrade():
    with op.batch_alter_table('dispute_corrections', schema=None) as batch_op:
        batch_op.drop_index('uq_dispute_corrections_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_dispute_corrections_status'))
        batch_op.drop_index(batch_op.f('ix_dispute_corrections_dispute_id'))

    op.drop_table('dispute_corrections')
