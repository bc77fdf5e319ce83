"""Notifications: one call for every event that concerns a user.

`notify` writes the in-app row in the caller's transaction (so it exists exactly when the event
does) and hands it to every registered extra channel. An e-mail channel plugs in by registering a
`Channel` that enqueues a delivery job; it must not do slow work inline.

Every notice names what it is about: `notify` stores the tender or contract its destination belongs
to (`params["about"]`, {type, id, title}), so a reader sees it named and the bell groups by it. The
person who acted is never told of their own action (`actor`), nor is the side they act for.
"""
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import and_, func, select, union_all, update

from extensions import db
from models import (
    Chargeback,
    Contract,
    Conversation,
    Dispute,
    Membership,
    Notification,
    NotificationPreference,
    Organisation,
    Tender,
    User,
)
from models.types import utcnow
from services import bulk, notification_prefs
from services.destinations import Destination
from services.errors import NotFound
from services.pagination import Page, paginate


class Channel(Protocol):
    def deliver_many(self, notices: list[dict], readers: dict[int, tuple[User, str]] | None = None) -> None:
        """Notices about to be written (by `notify` or in bulk by `notify_many`), as dicts of their
        columns; a channel may set a notice's `digest_pending`. `readers` (from `notify`): each reader's
        account and delivery of the notices' one kind, already read."""


CHANNELS: list[Channel] = []


def notify(users: Iterable[User | int], kind: str, *, to: Destination | None = None, personal: bool = False,
           actor: User | None = None, **params) -> list[Notification]:
    """`to` is the page the notification leads to (see `services.destinations`); None: nowhere. A user
    id names its organisation (every member hears), unless `personal`: then only those people.
    `actor`: who did it; neither they nor the organisation they acted for hear of it."""
    if "link" in params:
        raise TypeError("notify() takes the destination as to=destinations.…(…), not a link")
    ids = {u if isinstance(u, int) else u.id for u in users if u is not None}
    if actor is not None:
        ids -= {actor.id, actor.account_id}
    if not ids:  # nobody to tell (e.g. every reader of a thread has its notice already): look nothing up
        return []
    readers = _readers(ids, kind, personal)
    if actor is not None:
        readers.pop(actor.id, None)
    if not readers:
        return []
    if to is not None and "about" not in params and (about := _about(to)) is not None:
        params["about"] = about
    values = [{"user_id": uid, "kind": kind, "params": params, "endpoint": to and to.endpoint,
               "url_args": dict(to.args) if to else {}, "anchor": to and to.anchor, "digest_pending": False}
              for uid in readers]
    for channel in CHANNELS:  # before the rows are written: a channel may mark a notice for the digest
        channel.deliver_many(values, readers)
    rows = [Notification(**value) for value in values]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _readers(ids: set[int], kind: str, personal: bool) -> dict[int, tuple[User, str]]:
    """Who a notice of `kind` addressed to `ids` reaches (their organisations' members too, unless
    `personal`), by id in order, each with how it reaches them (services.notification_prefs): one
    statement for the people, their accounts and their choices."""
    rows = db.session.execute(
        select(User, NotificationPreference.delivery)
        .outerjoin(NotificationPreference, and_(NotificationPreference.user_id == User.id,
                                                NotificationPreference.kind == kind))
        .where(User.id.in_(ids) if personal else members_clause(ids)).order_by(User.id))
    return {user.id: (user, delivery or notification_prefs.default_for(kind)) for user, delivery in rows}


def notify_many(notices: Iterable[tuple[Iterable[int], str, Destination | None, dict]]) -> int:
    """`notify` for many notices at once, each (account ids, kind, to, params), as a sweep over
    thousands of periods sends them: the organisations' members in one query, the rows in one INSERT,
    each channel handed the batch before. No `actor` or `personal` here. A notice whose params carry its
    `about` saves the lookup `notify` does. Returns how many rows were written."""
    notices = list(notices)
    members = _members_of_each({uid for ids, *_ in notices for uid in ids if uid is not None})
    now, values = utcnow(), []
    for ids, kind, to, given in notices:
        params = given
        if to is not None and "about" not in given and (about := _about(to)) is not None:
            params = {**given, "about": about}
        readers = sorted({reader for uid in ids if uid is not None for reader in members[uid]})
        values += [{"user_id": uid, "kind": kind, "params": params, "endpoint": to and to.endpoint,
                    "url_args": dict(to.args) if to else {}, "anchor": to and to.anchor, "created_at": now,
                    "digest_pending": False} for uid in readers]
    if not values:
        return 0
    for channel in CHANNELS:  # before the INSERT: a channel may mark a notice for the digest
        channel.deliver_many(values)
    bulk.insert_rows(Notification.__table__, values)
    return len(values)


def _members_of_each(ids: set[int]) -> dict[int, set[int]]:
    """For each account id: itself and the members of the organisation it is the principal of."""
    found = {uid: {uid} for uid in ids}
    if ids:
        for principal, member in db.session.execute(select(Organisation.account_user_id, Membership.user_id)
                                                    .join(Membership)
                                                    .where(Organisation.account_user_id.in_(ids))):
            found[principal].add(member)
    return found


def _about(to: Destination) -> dict | None:
    """The tender or contract a destination belongs to, named as the reader will see it."""
    args = to.args
    contract = None
    if "contract_id" in args:
        contract = db.session.get(Contract, args["contract_id"])
    elif "dispute_id" in args:
        dispute = db.session.get(Dispute, args["dispute_id"])
        contract = dispute.milestone.contract if dispute is not None else None
    elif "chargeback_id" in args:
        case = db.session.get(Chargeback, args["chargeback_id"])
        contract = db.session.get(Contract, case.contract_id) if case is not None and case.contract_id else None
    elif "conversation_id" in args:
        conv = db.session.get(Conversation, args["conversation_id"])
        if conv is not None and conv.contract_id:
            contract = conv.contract
        elif conv is not None:
            return {"type": "tender", "id": conv.tender_id, "title": conv.tender.title}
    elif "tender_id" in args:
        tender = db.session.get(Tender, args["tender_id"])
        return {"type": "tender", "id": tender.id, "title": tender.title} if tender is not None else None
    if contract is None:
        return None
    return {"type": "contract", "id": contract.id, "title": contract.title}


def members_clause(account_ids: Iterable[int] | int):
    """A WHERE clause on users: the principals `account_ids` and every member of their organisations (who
    hears what is addressed to them), for a caller that loads the readers' rows in its own statement."""
    ids = [account_ids] if isinstance(account_ids, int) else sorted(account_ids)
    # a UNION of the two, not `id IN (…) OR id IN (…)`: PostgreSQL then expects a few rows, not a share
    # of the table, and looks the readers' notices up by index (services.conversations._tell joins them)
    return User.id.in_(union_all(select(User.id).where(User.id.in_(ids)),
                                 select(Membership.user_id).join(Organisation)
                                 .where(Organisation.account_user_id.in_(ids))))


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


def mark_read_where(user: User, kind: str, arg: str, value: int) -> int:
    """Mark read this reader's unread notices of `kind` leading to the page with route argument `arg`
    = `value` (what was just seen there). Few rows: a reader's unread notices of one kind."""
    rows = [n for n in db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind, Notification.read_at.is_(None)))
        if (n.url_args or {}).get(arg) == value]
    for row in rows:
        row.read_at = utcnow()
    return len(rows)


def latest_grouped(user: User, limit: int = 8) -> list[tuple[dict | None, list[Notification]]]:
    """The bell's dropdown: the latest notices grouped by the tender or contract they are about, groups
    in the order of their newest notice."""
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    groups: dict[tuple, tuple[dict | None, list[Notification]]] = {}
    for row in rows:
        about = (row.params or {}).get("about")
        key = (about.get("type"), about.get("id")) if about else (None, None)
        groups.setdefault(key, (about, []))[1].append(row)
    return list(groups.values())


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=utcnow()))
    return result.rowcount
