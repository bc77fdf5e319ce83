"""The staff audit log (models.audit.StaffAction): the one way a staff action is recorded.

Call `record` inside the service function that makes the change, after the change and before the
commit, so the entry and the change land (or roll back) together. `before`/`after` hold the fields
the action changed, as JSON-safe values (money as integer minor units)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from extensions import db
from models.audit import StaffAction
from models.user import User


def _plain(value):
    """JSON-safe copy: enums by value, times in ISO 8601, decimals as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(actor: User, action: str, subject_type: str, subject_id: int | None, *,
           before: dict | None = None, after: dict | None = None, reason: str | None = None,
           affected_user_id: int | None = None) -> StaffAction:
    entry = StaffAction(
        actor_id=actor.id, action=action, subject_type=subject_type, subject_id=subject_id,
        affected_user_id=affected_user_id, before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None, reason=(reason or "").strip() or None,
    )
    db.session.add(entry)
    return entry
