"""notifications store an endpoint, its route's arguments and an anchor instead of a path

Revision ID: 1838546a4051
Revises: 10d48fb658f7
Create Date: 2026-12-08 10:00:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1838546a4051'
down_revision = '10d48fb658f7'
branch_labels = None
depends_on = None

# Every path the services wrote until now, as (path pattern, endpoint, its route's parameter). The
# fragment (#questions, #milestone-12, #review-3, …) is split off first and kept as the anchor.
# Frozen here as they were at this revision: the application's routes may move on, this may not.
PATHS = [
    (re.compile(r"/tenders/(\d+)/evaluate"), "evaluation.board", "tender_id"),
    (re.compile(r"/tenders/(\d+)"), "tenders.detail", "tender_id"),
    (re.compile(r"/contracts/(\d+)"), "contracts.detail", "contract_id"),
    (re.compile(r"/disputes/(\d+)"), "disputes.detail", "dispute_id"),
    (re.compile(r"/providers/(\d+)"), "providers.detail", "provider_id"),
    (re.compile(r"/payouts"), "payouts.index", None),
    (re.compile(r"/wallet"), "wallet.index", None),
    (re.compile(r"/account/profile"), "account.profile", None),
]
ANCHOR = re.compile(r"[A-Za-z0-9_-]{1,80}")
BATCH = 1000

notifications = sa.table(
    "notifications", sa.column("id", sa.Integer), sa.column("link", sa.String),
    sa.column("endpoint", sa.String), sa.column("url_args", sa.JSON), sa.column("anchor", sa.String))


def parse(link: str) -> tuple[str | None, dict, str | None]:
    """An old link → (endpoint, url_args, anchor); anything these patterns do not know leads nowhere."""
    path, hashed, anchor = (link or "").partition("#")
    if hashed and not ANCHOR.fullmatch(anchor):
        return None, {}, None
    for pattern, endpoint, param in PATHS:
        match = pattern.fullmatch(path)
        if match:
            return endpoint, ({param: int(match.group(1))} if param else {}), anchor or None
    return None, {}, None


def unparse(endpoint: str | None, url_args: dict | None, anchor: str | None) -> str:
    """The inverse, for the downgrade: the path the old code would have written."""
    for pattern, known, param in PATHS:
        if endpoint == known and (param is None or isinstance((url_args or {}).get(param), int)):
            path = pattern.pattern.replace(r"(\d+)", str(url_args[param])) if param else pattern.pattern
            return f"{path}#{anchor}" if anchor else path
    return ""


def _in_batches(conn, *columns):
    """(id, *columns) of every notification, a batch at a time (ids ascending)."""
    last = 0
    while True:
        rows = conn.execute(sa.select(notifications.c.id, *columns).where(notifications.c.id > last)
                            .order_by(notifications.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('url_args', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('anchor', sa.String(length=80), nullable=True))

    conn = op.get_bind()
    conn.execute(notifications.update().values(url_args={}))
    update = (notifications.update().where(notifications.c.id == sa.bindparam("row_id"))
              .values(endpoint=sa.bindparam("new_endpoint"), url_args=sa.bindparam("new_args", type_=sa.JSON),
                      anchor=sa.bindparam("new_anchor")))
    for rows in _in_batches(conn, notifications.c.link):
        changes = []
        for row_id, link in rows:
            endpoint, url_args, anchor = parse(link)
            if endpoint:
                changes.append({"row_id": row_id, "new_endpoint": endpoint, "new_args": url_args,
                                "new_anchor": anchor})
        if changes:
            conn.execute(update, changes)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('url_args', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('link')


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=300), nullable=True))

    conn = op.get_bind()
    conn.execute(notifications.update().values(link=""))
    update = (notifications.update().where(notifications.c.id == sa.bindparam("row_id"))
              .values(link=sa.bindparam("new_link")))
    for rows in _in_batches(conn, notifications.c.endpoint, notifications.c.url_args, notifications.c.anchor):
        changes = [{"row_id": row_id, "new_link": unparse(endpoint, url_args, anchor)}
                   for row_id, endpoint, url_args, anchor in rows if endpoint]
        if changes:
            conn.execute(update, changes)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('link', existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column('anchor')
        batch_op.drop_column('url_args')
        batch_op.drop_column('endpoint')
