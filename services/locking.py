"""Row locks that hold on every backend.

PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks and its driver starts a transaction only at
the first write, so a plain SELECT there would read state another request is about to change. On
SQLite we therefore write first — a no-op UPDATE of the row takes the database write lock until
commit — and then read the row fresh. Either way, the caller holds the row until it commits."""
from sqlalchemy import update

from extensions import db


def locked_get(model, pk):
    """The row with primary key `pk`, locked until the transaction ends (None if there is none)."""
    if db.session.get_bind().dialect.name == "sqlite":
        column = model.__mapper__.primary_key[0]
        db.session.execute(update(model).where(column == pk).values({column.key: column})
                           .execution_options(synchronize_session=False))
        return db.session.get(model, pk, populate_existing=True)
    return db.session.get(model, pk, with_for_update=True, populate_existing=True)
