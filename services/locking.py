"""Row locks that hold on every backend.

PostgreSQL: SELECT … FOR UPDATE. SQLite has no row locks and its driver starts a transaction only at
the first write, so a plain SELECT there would read state another request is about to change. On
SQLite we therefore write first — a no-op UPDATE of the row takes the database write lock until
commit — and then read the row fresh. Either way, the caller holds the row until it commits."""
from sqlalchemy import false, func, select, update

from extensions import db


def locked_get(model, pk, options=()):
    """The row with primary key `pk`, locked until the transaction ends (None if there is none).
    `options`: loader options (joinedload…) for rows read along with it, in the same statement (only
    the row itself is locked)."""
    if db.session.get_bind().dialect.name == "sqlite":
        column = model.__mapper__.primary_key[0]
        db.session.execute(update(model).where(column == pk).values({column.key: column})
                           .execution_options(synchronize_session=False))
        return db.session.get(model, pk, populate_existing=True, options=options)
    # OF the model's own table: rows it loads eagerly through outer joins (a user's membership) stay
    # unlocked, and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join anyway.
    return db.session.get(model, pk, with_for_update={"of": model}, populate_existing=True, options=options)


def serialize(model, key: int) -> None:
    """Until this transaction ends, any other that calls serialize() with the same key waits here, so the
    two run one after the other, and the second reads what the first wrote. PostgreSQL: a
    transaction-level advisory lock on `key` (no row is touched). SQLite has one writer at a time: an
    UPDATE of `model`'s table that matches no row takes the database write lock now, before anything
    is read."""
    if db.session.get_bind().dialect.name == "sqlite":
        column = model.__mapper__.primary_key[0]
        db.session.execute(update(model).where(false()).values({column.key: column})
                           .execution_options(synchronize_session=False))
    else:
        db.session.execute(select(func.pg_advisory_xact_lock(key)))


def claim_rows(stmt, model) -> list:
    """The rows `stmt` (a SELECT of columns of `model`'s table and of tables joined to it) selects, their
    `model` rows locked until this transaction ends; rows another transaction holds are skipped, not
    waited for (PostgreSQL: FOR UPDATE OF the model's table SKIP LOCKED), so concurrent sweeps split the
    work. SQLite: the database write lock first (a no-op UPDATE, as in `serialize`), then the rows read.
    Plain rows, not ORM objects: a sweep claims thousands and only reads them."""
    if db.session.get_bind().dialect.name == "sqlite":
        column = model.__mapper__.primary_key[0]
        db.session.execute(update(model).where(false()).values({column.key: column})
                           .execution_options(synchronize_session=False))
        return list(db.session.execute(stmt))
    return list(db.session.execute(stmt.with_for_update(of=model, skip_locked=True)))
