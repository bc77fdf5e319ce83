"""Notifications by e-mail: the `services.notifications.Channel` that follows each reader's choice per
kind (services.notification_prefs): e-mail at once writes the message in the event's transaction (sent
after commit by services.mail); the daily digest marks the notice for services.digests. Only to
readers who confirmed their address and kept the account page's e-mail switch on. The message says
what the in-app notification says, in the reader's language and time zone, and links to the same page."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from i18n import force_timezone
from models import User
from services import mail, notification_prefs
from texts.notifications import render


class EmailChannel:
    def deliver_many(self, notices: list[dict], readers: dict | None = None) -> None:
        """Notices about to be written (services.notifications.notify, notify_many), as dicts of their
        columns: one waiting for the digest gets `digest_pending` before it is written. `notify` hands
        over its readers' accounts and deliveries (read with the readers); for bulk notices the
        choices are read in one query, and the accounts in another only if someone is owed an e-mail."""
        if readers is not None:
            users = {uid: user for uid, (user, _delivery) in readers.items()}
            deliveries = {(n["user_id"], n["kind"]): readers[n["user_id"]][1] for n in notices}
        else:
            user_ids = {n["user_id"] for n in notices}
            deliveries = notification_prefs.deliveries_for(user_ids, {n["kind"] for n in notices})
            if all(delivery == "in_app" for delivery in deliveries.values()):
                return
            users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        for notice in notices:
            delivery = deliveries[notice["user_id"], notice["kind"]]
            if delivery != "in_app" and _send(users.get(notice["user_id"]), delivery, notice):
                notice["digest_pending"] = True


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
