"""Notifications by e-mail: the `services.notifications.Channel` that follows each reader's choice per
kind (services.notification_prefs): e-mail at once writes the message in the event's transaction (sent
after commit by services.mail); the daily digest marks the notice for services.digests. Only to
readers who confirmed their address and kept the account page's e-mail switch on. The message says
what the in-app notification says, in the reader's language and time zone, and links to the same page."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from extensions import db
from i18n import force_timezone
from models import NotificationPreference, User
from services import mail, notification_prefs
from texts.notifications import render

FEW = 50  # readers of one notice (an organisation's members): their accounts and choices in one query


class EmailChannel:
    def deliver_many(self, notices: list[dict]) -> None:
        """Notices about to be written (services.notifications.notify, notify_many), as dicts of their
        columns: one waiting for the digest gets `digest_pending` before it is written."""
        user_ids = {n["user_id"] for n in notices}
        kinds = {n["kind"] for n in notices}
        if len(user_ids) <= FEW:
            users, deliveries = _few(user_ids, kinds)
        else:  # a sweep's thousands: the choices first, the accounts only if someone is owed an e-mail
            deliveries = notification_prefs.deliveries_for(user_ids, kinds)
            if all(delivery == "in_app" for delivery in deliveries.values()):
                return
            users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        for notice in notices:
            delivery = deliveries[notice["user_id"], notice["kind"]]
            if delivery != "in_app" and _send(users.get(notice["user_id"]), delivery, notice):
                notice["digest_pending"] = True


def _few(user_ids: set[int], kinds: set[str]) -> tuple[dict[int, User], dict[tuple[int, str], str]]:
    """The readers' accounts and their delivery of each kind (chosen, or the kind's default), in one
    statement (`notification_prefs.deliveries_for` and the accounts, joined)."""
    users, chosen = {}, {}
    for user, kind, delivery in db.session.execute(
            select(User, NotificationPreference.kind, NotificationPreference.delivery)
            .outerjoin(NotificationPreference, and_(NotificationPreference.user_id == User.id,
                                                    NotificationPreference.kind.in_(kinds)))
            .where(User.id.in_(user_ids))):
        users[user.id] = user
        if kind is not None:
            chosen[user.id, kind] = delivery
    return users, {(uid, kind): chosen.get((uid, kind), notification_prefs.default_for(kind))
                   for uid in user_ids for kind in kinds}


def _send(user: User | None, delivery: str, notice: dict) -> bool:
    """Mail the notice to its reader now (delivery "email"); True when it waits for the digest instead."""
    if user is None or not user.active or not user.email_verified or not user.email_notifications:
        return False
    if delivery == "digest":
        return True
    with force_locale(mail.language_of(user)), force_timezone(user.timezone):
        text = render(notice["kind"], notice["params"])
    mail.compose(user, "notification", _l("Witkey: %(what)s", what=_shorten(text)), text=text,
                 endpoint=notice["endpoint"], url_args=notice["url_args"] or {}, anchor=notice["anchor"])
    return False


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def register(channels: list) -> None:
    """Add the channel once (an app made twice in one process, as tests do, still mails once)."""
    if not any(isinstance(channel, EmailChannel) for channel in channels):
        channels.append(EmailChannel())
