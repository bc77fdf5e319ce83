"""This installation's id, generated once and stored in the database. Every idempotency key sent to
Stripe starts with it, and every object Witkey creates there carries it in its metadata, so another
database sharing the Stripe account — a reset one whose ids start again at 1, a staging copy — never
has a request replayed as another's object, nor finds another's refund or transfer as its own.

After restoring a backup, run `flask rotate-installation-id`: the restored database will hand out
again ids that the lost one had already used with Stripe."""
import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Installation
from models.types import utcnow


def installation_id() -> str:
    key = db.session.scalar(select(Installation.key).where(Installation.id == 1))
    if key is not None:
        return key
    # Only a database emptied by hand lacks it (the migration writes it). It is written and committed on
    # a connection of its own: an id that rolled back with the caller would make its retry a new request.
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(Installation).values(id=1, key=secrets.token_hex(8), created_at=utcnow()))
    except IntegrityError:  # a concurrent first call wrote it
        pass
    with db.engine.connect() as conn:
        return conn.scalar(select(Installation.key).where(Installation.id == 1))


def rotate() -> str:
    """A new id from now on (the caller commits)."""
    installation_id()
    key = secrets.token_hex(8)
    db.session.execute(update(Installation).where(Installation.id == 1).values(key=key))
    return key
