"""Idempotency-Key for every POST a signed-in user makes (creations, actions, money moves): the same
key from the same user returns the first answer and changes nothing more. A key reused for a
different request is refused."""
import hashlib
import time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from extensions import db
from models import IdempotentRequest, User
from services.errors import Invalid

MAX_KEY = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body or b""])).hexdigest()


def validate_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY:
        raise Invalid(_l("Idempotency-Key must be 1 to 255 characters."), fields={"Idempotency-Key": "length"})


def stored(user: User | int, key: str, fp: str) -> IdempotentRequest | None:
    """The stored answer for this user's key (`user`: the user or its id), None if there is none."""
    user_id = user if isinstance(user, int) else user.id
    row = db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.user_id == user_id,
                                                            IdempotentRequest.key == key))
    if row is not None and row.fingerprint != fp:
        raise Invalid(_l("This Idempotency-Key was used for a different request."), code="idempotency_key_reused")
    return row


def remember(user: User, key: str, fp: str, status: int, body: dict) -> None:
    """Store the answer in the same transaction as the change it describes."""
    db.session.add(IdempotentRequest(user_id=user.id, key=key, fingerprint=fp, status_code=status, body=body))
    db.session.flush()


LOST_COMMIT_WAIT = 8.0  # seconds a request whose COMMIT lost its answer waits for the database to tell


def after_lost_commit(user_id: int, key: str, fp: str) -> IdempotentRequest | None:
    """The COMMIT went out and its answer never came back (the database went away): it may or may not have
    committed. The stored answer is part of that transaction, so it tells: ask until the database answers
    again (at most LOST_COMMIT_WAIT) and return it — the write committed — or None: it did not. Raises the
    database's error if it never answered (the client's retry with the same key then learns it)."""
    deadline = time.monotonic() + LOST_COMMIT_WAIT
    while True:
        db.session.rollback()
        try:
            return stored(user_id, key, fp)
        except (OperationalError, InterfaceError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)
