"""Notifications by e-mail: the `services.notifications.Channel` that follows each reader's choice per
kind (services.notification_prefs): e-mail at once writes the message in the event's transaction (sent
after commit by services.mail); the daily digest marks the notice for services.digests. Only to
readers who confirmed their address and kept the account page's e-mail switch on. The message says
what the in-app notification says, in the reader's language and time zone, and links to the same page."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from extensions import db
from i18n import force_timezone
from models import Notification, User
from services import mail, notification_prefs
from texts.notifications import render


class EmailChannel:
    def deliver(self, notification: Notification) -> None:
        delivery = notification_prefs.delivery_for(notification.user_id, notification.kind)
        if delivery == "in_app":
            return
        user = db.session.get(User, notification.user_id)
        if user is None or not user.active or not user.email_verified or not user.email_notifications:
            return
        if delivery == "digest":
            notification.digest_pending = True
            return
        with force_locale(mail.language_of(user)), force_timezone(user.timezone):
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
