"""Idempotency-Key for every POST a signed-in user makes (creations, actions, money moves): the same
key from the same user returns the first answer and changes nothing more. A key reused for a
different request is refused."""
import hashlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import IdempotentRequest, User
from services.errors import Invalid

MAX_KEY = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body or b""])).hexdigest()


def validate_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY:
        raise Invalid(_l("Idempotency-Key must be 1 to 255 characters."), fields={"Idempotency-Key": "length"})


def stored(user: User, key: str, fp: str) -> IdempotentRequest | None:
    row = db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.user_id == user.id,
                                                            IdempotentRequest.key == key))
    if row is not None and row.fingerprint != fp:
        raise Invalid(_l("This Idempotency-Key was used for a different request."), code="idempotency_key_reused")
    return row


def remember(user: User, key: str, fp: str, status: int, body: dict) -> None:
    """Store the answer in the same transaction as the change it describes."""
    db.session.add(IdempotentRequest(user_id=user.id, key=key, fingerprint=fp, status_code=status, body=body))
    db.session.flush()
