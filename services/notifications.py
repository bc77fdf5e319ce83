"""Notifications: one call for every event that concerns a user.

`notify` writes the in-app row in the caller's transaction (so it exists exactly when the event
does) and hands it to every registered extra channel. An e-mail channel plugs in by registering a
`Channel` that enqueues a delivery job; it must not do slow work inline.
"""
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import func, select, update

from extensions import db
from models import Membership, Notification, Organisation, User
from models.types import utcnow
from services.destinations import Destination
from services.errors import NotFound
from services.pagination import Page, paginate


class Channel(Protocol):
    def deliver(self, notification: Notification) -> None: ...


CHANNELS: list[Channel] = []


def notify(users: Iterable[User | int], kind: str, *, to: Destination | None = None, personal: bool = False,
           **params) -> list[Notification]:
    """`to` is the page the notification leads to (see `services.destinations`); None: nowhere. A user
    id names its organisation (every member hears), unless `personal`: then only those people."""
    if "link" in params:
        raise TypeError("notify() takes the destination as to=destinations.…(…), not a link")
    ids = {u if isinstance(u, int) else u.id for u in users if u is not None}
    ids = sorted(ids) if personal else _with_members(ids)
    rows = [Notification(user_id=uid, kind=kind, params=params, endpoint=to and to.endpoint,
                         url_args=dict(to.args) if to else {}, anchor=to and to.anchor) for uid in ids]
    db.session.add_all(rows)
    if rows:
        db.session.flush()
    for channel in CHANNELS:
        for row in rows:
            channel.deliver(row)
    return rows


def _with_members(ids: set[int]) -> list[int]:
    """Events name an organisation by its principal (tenders.brand_id, contracts.provider_id…): every
    member of that organisation hears of them, each in its own inbox and language."""
    if ids:
        ids |= set(db.session.scalars(select(Membership.user_id).join(Organisation)
                                      .where(Organisation.account_user_id.in_(ids))))
    return sorted(ids)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def list_for(user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 20) -> Page:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return paginate(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()), page, per_page)


def mark_read(user: User, notification_id: int) -> Notification:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=utcnow()))
    return result.rowcount
