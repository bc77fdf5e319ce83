"""Notifications by e-mail: the `services.notifications.Channel` for the kinds worth a message (money
moved, a decision about you, something waiting on you), to recipients who confirmed their address and
kept the account page's e-mail switch on. The message says what the in-app notification says, in the
recipient's language, and links to the same page; it is written in the event's transaction and sent
after commit (services.mail)."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from extensions import db
from models import Notification, User
from services import mail
from texts.notifications import render

MAILED_KINDS = frozenset({
    "bid_received", "invited", "bafo_invited", "bid_awarded", "provider_verified", "provider_rejected",
    "milestone_funded", "fund_confirmation_needed", "milestone_delivered", "release_reminder", "payment_failed",
    "dispute_opened", "dispute_resolved", "payout_paid", "payout_failed", "webhook_disabled",
})


class EmailChannel:
    def deliver(self, notification: Notification) -> None:
        if notification.kind not in MAILED_KINDS:
            return
        user = db.session.get(User, notification.user_id)
        if user is None or not user.active or not user.email_verified or not user.email_notifications:
            return
        with force_locale(mail.language_of(user)):
            text = render(notification.kind, notification.params)
        mail.compose(user, "notification", _l("Witkey: %(what)s", what=_shorten(text)), text=text,
                     endpoint=notification.endpoint, url_args=notification.url_args or {},
                     anchor=notification.anchor)


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def register(channels: list) -> None:
    """Add the channel once (an app made twice in one process, as tests do, still mails once)."""
    if not any(isinstance(channel, EmailChannel) for channel in channels):
        channels.append(EmailChannel())
