"""Conversations: private threads between a brand and one provider (issue 17, item 1).

One thread per tender and provider, opened by either side once the provider was invited or has bid, and
one per contract. Who takes part: the two organisations' members whose role allows
`conversation.take_part` (services.permissions); anyone else gets NotFound, as for any object of another
organisation. Nothing here names another bidder, and a brand cannot learn through a thread that a provider
bid on a sealed tender before it opens (it may talk only to providers it invited until then).

Staff are no party: they read a contract's thread only while a dispute is open on it, and any thread once
one of its messages was reported; each read is recorded in the staff audit log (`conversation.read`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from extensions import db
from models import (
    Bid,
    Contract,
    Conversation,
    ConversationRead,
    Dispute,
    Message,
    MessageFile,
    Milestone,
    Notification,
    Tender,
    TenderInvitation,
    User,
)
from models.dispute import DisputeStatus
from models.types import utcnow
from services import audit, destinations, notifications, storage, webhooks
from services.errors import Forbidden, NotFound, check
from services.permissions import allowed, principal_of

BODY_MAX = 5000
REPORT_REASON_MAX = 500

# Contact details people use to take a deal off the platform: phone numbers (mainland mobiles and
# international forms), e-mail addresses, WeChat and QQ ids when named as such.
CONTACT_PATTERNS = [
    re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d){8}(?!\d)"),
    re.compile(r"\+\d{1,3}[-\s]?\d(?:[-\s]?\d){6,12}(?!\d)"),
    re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    re.compile(r"(?:微信|微信号|wechat|weixin|vx|wx|v信)\s*(?:id|号)?\s*[:：]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}",
               re.IGNORECASE),
    re.compile(r"(?:qq|扣扣)\s*(?:号)?\s*[:：]?\s*[1-9]\d{4,11}", re.IGNORECASE),
]


def has_contact_details(text: str) -> bool:
    return any(p.search(text or "") for p in CONTACT_PATTERNS)


@dataclass(frozen=True)
class Listed:
    conversation: Conversation
    unread: int
    subject: str  # the tender's or the contract's title
    with_name: str  # the other party's display name


# --- who may take part -------------------------------------------------------------------------------

def _take_part(actor: User) -> None:
    """Forbidden for staff and for members whose role has no say in talks (viewer, finance)."""
    if actor is None or actor.is_admin or not allowed(actor, "conversation.take_part"):
        raise Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")


def _is_party(actor: User, conv: Conversation) -> bool:
    return not actor.is_admin and actor.account_id in (conv.brand_id, conv.provider_id)


def _engaged(tender: Tender, provider_account_id: int, *, brand_asks: bool) -> bool:
    """Whether the provider was invited to the tender or bid on it (the latter hidden from the brand
    while a sealed opening keeps bidders secret)."""
    invited = db.session.scalar(select(exists().where(TenderInvitation.tender_id == tender.id,
                                                      TenderInvitation.provider_id == provider_account_id)))
    if invited:
        return True
    if brand_asks and tender.bids_are_hidden_from_brand:
        return False
    return bool(db.session.scalar(select(exists().where(Bid.tender_id == tender.id,
                                                        Bid.provider_id == provider_account_id))))


def _find_or_create(key: str, **columns) -> tuple[Conversation, bool]:
    conv = db.session.scalar(select(Conversation).where(Conversation.key == key))
    if conv is not None:
        return conv, False
    try:
        with db.session.begin_nested():  # a twin first message may insert the same key: read the winner's
            conv = Conversation(key=key, **columns)
            db.session.add(conv)
        return conv, True
    except IntegrityError:
        return db.session.scalar(select(Conversation).where(Conversation.key == key)), False


def open_conversation(actor: User, *, tender_id: int | None = None, contract_id: int | None = None,
                      with_user_id: int | None = None, body: str, files=()) -> tuple[Conversation, Message, bool]:
    """The thread about a tender (with one provider) or a contract, created on first use, and `body`
    posted in it. Returns (conversation, message, created)."""
    _take_part(actor)
    check({"tender_id": (tender_id is None) == (contract_id is None)
           and _l("Give either a tender or a contract.")})
    if contract_id is not None:
        contract = db.session.get(Contract, contract_id)
        if contract is None or actor.account_id not in (contract.brand_id, contract.provider_id):
            raise NotFound()
        conv, created = _find_or_create(f"contract:{contract.id}", contract_id=contract.id,
                                        brand_id=contract.brand_id, provider_id=contract.provider_id)
    else:
        tender = db.session.get(Tender, tender_id)
        if tender is None:
            raise NotFound()
        if actor.is_provider:
            provider_account = actor.account_id
        else:
            if tender.brand_id != actor.account_id:
                raise NotFound()
            check({"with_user_id": with_user_id is None and _l("Say which provider to write to.")})
            other = db.session.get(User, with_user_id)
            if other is None or not other.is_provider:
                raise NotFound()
            provider_account = principal_of(other).id
        if not _engaged(tender, provider_account, brand_asks=not actor.is_provider):
            raise NotFound()
        conv, created = _find_or_create(f"tender:{tender.id}:{provider_account}", tender_id=tender.id,
                                        brand_id=tender.brand_id, provider_id=provider_account)
    message = _post(actor, conv, body, files)
    return conv, message, created


def conversation_for(actor: User, conversation_id: int) -> Conversation:
    """A thread the actor takes part in (NotFound for anyone else's, Forbidden for a role without a say)."""
    conv = db.session.get(Conversation, conversation_id)
    if conv is None or not _is_party(actor, conv):
        raise NotFound()
    _take_part(actor)
    return conv


# --- messages -----------------------------------------------------------------------------------------

def _before_contract(conv: Conversation) -> bool:
    if conv.contract_id is not None:
        return False
    return not db.session.scalar(select(exists().where(Contract.tender_id == conv.tender_id,
                                                       Contract.provider_id == conv.provider_id)))


def _post(actor: User, conv: Conversation, body: str, files) -> Message:
    body = (body or "").strip()
    check({"body": (not body and _l("Write a message."))
           or (len(body) > BODY_MAX and _l("At most %(n)d characters.", n=BODY_MAX))})
    message = Message(conversation_id=conv.id, sender_id=actor.id, sender_account_id=actor.account_id, body=body,
                      # the text first: only a message with contact details asks whether a contract exists
                      contact_warning=has_contact_details(body) and _before_contract(conv),
                      files=[])  # a new message's files are the ones below: nothing to load after the flush
    for stream, filename in files:
        message.files.append(MessageFile.from_stored(storage.save(stream, filename, "messages", actor.id)))
    db.session.add(message)
    # An UPDATE of the thread's row: concurrent senders queue here for a moment, and none is lost.
    conv.last_message_at = utcnow()
    db.session.flush()
    _mark_read(actor, conv.id, message.id)
    recipient = conv.provider_id if actor.account_id == conv.brand_id else conv.brand_id
    # metadata only: the text never leaves in a webhook (the receiver reads it through the API)
    webhooks.emit("message.received", f"conversation:{conv.id}",
                  {"conversation_id": conv.id, "message_id": message.id, "tender_id": conv.tender_id,
                   "contract_id": conv.contract_id, "sender_account_id": actor.account_id,
                   "attachments": len(message.files)}, audience=[recipient])
    _tell(actor, conv, message, recipient)
    return message


EXCERPT = 80  # characters of the latest message a notice quotes


def _readers_and_notices(conv: Conversation, recipient_account: int) -> list[tuple[User, Notification | None]]:
    """Every member of the recipient's organisation, each with its unread notice of this thread (None if
    it has none), in one statement. The notice is asked for by the thread in SQL (an index lookup by
    reader), so the cost does not grow with the reader's unread notices of other threads. There is one
    at most (see `_tell`); should there be more, the newest is the one updated."""
    found: dict[int, tuple[User, Notification | None]] = {}
    for user, notice in db.session.execute(
            select(User, Notification)
            .outerjoin(Notification, and_(Notification.user_id == User.id, Notification.read_at.is_(None),
                                          Notification.kind == "message_received",
                                          Notification.url_args["conversation_id"].as_integer() == conv.id))
            .where(notifications.members_clause(recipient_account)).order_by(User.id, Notification.id)):
        found[user.id] = (user, notice)
    return list(found.values())


def _tell(actor: User, conv: Conversation, message: Message, recipient_account: int) -> None:
    """One notice per thread and reader while it is unread: a later message updates that notice (count,
    latest excerpt, time) instead of adding another, and sends no second e-mail. Reading the thread
    marks the notice read, so the next message makes a new one. Runs after the UPDATE of the thread's
    row above, so concurrent senders come here one at a time and see each other's notice."""
    readers = [(user, notice) for user, notice in _readers_and_notices(conv, recipient_account)
               if user.active and allowed(user, "conversation.take_part")]
    if not readers:
        return
    excerpt = message.body if len(message.body) <= EXCERPT else message.body[:EXCERPT - 1].rstrip() + "…"
    for _user, row in readers:
        if row is not None:
            row.params = {**row.params, "count": int(row.params.get("count") or 1) + 1, "excerpt": excerpt,
                          "sender": actor.display_name}
            row.created_at = utcnow()
    fresh = [user.id for user, row in readers if row is None]
    notifications.notify(fresh, "message_received", personal=True, actor=actor,
                         to=destinations.conversation(conv.id), sender=actor.display_name, excerpt=excerpt, count=1)


def send(actor: User, conversation_id: int, body: str, files=()) -> Message:
    return _post(actor, conversation_for(actor, conversation_id), body, files)


def _mark_read(actor: User, conversation_id: int, last_id: int) -> None:
    """This person has read the thread up to `last_id`: one INSERT … ON CONFLICT DO UPDATE that never
    moves the mark back (another tab of the same person may have read further, or got there first)."""
    dialect = db.session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(ConversationRead).values(
        conversation_id=conversation_id, user_id=actor.id, last_read_id=last_id)
    furthest = (func.greatest if dialect == "postgresql" else func.max)(ConversationRead.last_read_id,
                                                                         stmt.excluded.last_read_id)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["conversation_id", "user_id"],
                                                  set_={"last_read_id": furthest}))
    # a row of it loaded earlier in this transaction would now be stale: read it again when asked
    if (loaded := db.session.identity_map.get(db.session.identity_key(ConversationRead,
                                                                       (conversation_id, actor.id)))) is not None:
        db.session.expire(loaded)


def mark_read(actor: User, conversation_id: int) -> int:
    """Everything in the thread is read by this person (not by its colleagues). Returns the last id."""
    conv = conversation_for(actor, conversation_id)
    last = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conv.id)) or 0
    if last:
        _mark_read(actor, conv.id, last)
        notifications.mark_read_where(actor, "message_received", "conversation_id", conv.id)
    return last


def staff_grounds(conv: Conversation) -> str | None:
    """Why staff may read this thread now (None: they may not)."""
    if conv.contract_id is not None and db.session.scalar(select(exists().where(
            Dispute.milestone_id == Milestone.id, Milestone.contract_id == conv.contract_id,
            Dispute.status == DisputeStatus.OPEN.value))):
        return "dispute_open"
    if db.session.scalar(select(exists().where(Message.conversation_id == conv.id,
                                               Message.reported_at.is_not(None)))):
        return "message_reported"
    return None


def readable_by(actor: User, conversation_id: int) -> Conversation:
    """The thread for reading: a party's, or staff's while they have grounds (each staff read is recorded
    in the audit log, in the caller's transaction: the caller commits)."""
    if actor is None or not actor.is_admin:
        return conversation_for(actor, conversation_id)
    conv = db.session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound()
    grounds = staff_grounds(conv)
    if grounds is None:
        raise Forbidden(_l("Staff read a conversation only while a dispute is open on its contract or after "
                           "a message in it was reported."), code="no_grounds")
    audit.record(actor, "conversation.read", "conversation", conv.id, reason=grounds,
                 affected_user_id=conv.provider_id, other_user_id=conv.brand_id)
    return conv


def messages_of(conv: Conversation, after_id: int = 0) -> list[Message]:
    """Oldest first; `after_id` for the page's polling (only what arrived since)."""
    return list(db.session.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                         Message.id > after_id).order_by(Message.id)))


def report(actor: User, message_id: int, reason: str) -> Message:
    """A party reports the other side's message to staff (reporting again changes nothing)."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound()
    conversation_for(actor, message.conversation_id)  # a party's only
    if message.sender_account_id == actor.account_id:
        raise Forbidden(_l("You can report only the other side's messages."), code="own_message")
    reason = (reason or "").strip()
    check({"reason": len(reason) > REPORT_REASON_MAX and _l("At most %(n)d characters.", n=REPORT_REASON_MAX)})
    if message.reported_at is None:
        message.reported_at, message.reported_by_id, message.report_reason = utcnow(), actor.id, reason
    return message


def reported(limit: int = 100) -> list[Message]:
    """Staff queue: reported messages, oldest report first."""
    return list(db.session.scalars(select(Message).where(Message.reported_at.is_not(None))
                                   .order_by(Message.reported_at).limit(limit)))


# --- lists --------------------------------------------------------------------------------------------

def _unread_expr(user: User):
    last_read = (select(ConversationRead.last_read_id)
                 .where(ConversationRead.conversation_id == Conversation.id, ConversationRead.user_id == user.id)
                 .correlate(Conversation)  # the listed thread's, two levels up (PostgreSQL: one row, not all)
                 .scalar_subquery())
    return (select(func.count(Message.id))
            .where(Message.conversation_id == Conversation.id, Message.sender_account_id != user.account_id,
                   Message.id > func.coalesce(last_read, 0))
            .scalar_subquery())


def _mine(user: User):
    return or_(Conversation.brand_id == user.account_id, Conversation.provider_id == user.account_id)


def list_for(actor: User) -> list[Listed]:
    """The actor's threads, newest activity first, each with what this person has not read yet."""
    _take_part(actor)
    # One statement whatever the number of threads: the subject's title and the other party's name come as
    # columns of it (no tender, contract or user rows loaded per thread, for the API and the page alike).
    other = aliased(User)
    other_id = case((Conversation.brand_id == actor.account_id, Conversation.provider_id),
                    else_=Conversation.brand_id)
    subject = case((Conversation.tender_id.is_not(None), Tender.title), else_=Contract.title)
    rows = db.session.execute(
        select(Conversation, _unread_expr(actor), subject, other.display_name)
        .outerjoin(Tender, Tender.id == Conversation.tender_id)
        .outerjoin(Contract, Contract.id == Conversation.contract_id)
        .join(other, other.id == other_id)
        .where(_mine(actor))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc()))
    return [Listed(conv, unread, title, name) for conv, unread, title, name in rows]


def unread_total(user: User) -> int:
    """Messages from the other side this person has not read, over all its threads (one query)."""
    if user.is_admin or not allowed(user, "conversation.take_part"):
        return 0
    read = ConversationRead
    return db.session.scalar(
        select(func.count(Message.id)).join(Conversation, Message.conversation_id == Conversation.id)
        .outerjoin(read, and_(read.conversation_id == Conversation.id, read.user_id == user.id))
        .where(_mine(user), Message.sender_account_id != user.account_id,
               Message.id > func.coalesce(read.last_read_id, 0))) or 0


def other_party(conv: Conversation, viewer: User) -> User:
    return conv.provider if viewer.account_id == conv.brand_id else conv.brand
