"""The daily digest: the notices a reader chose to receive once a day, in one e-mail.

A notice for the digest carries `digest_pending` (set by the e-mail channel, texts/mail_channel.py).
The periodic sweep (services/runners/digests.py) offers each reader with pending notices to
`send_digest`, which sends only once the reader's local clock has passed DIGEST_HOUR, and at most
once per local date: the `notification_digests` row keyed by (user, local date) is inserted in the
same transaction as the message and the clearing of the notices, so a second run that day (or a
twin sweep racing this one) finds the key taken and sends nothing. No pending notice: no mail."""
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from i18n import force_timezone
from models import Notification, NotificationDigest, User
from services import mail
from services.errors import is_unique_violation


def pending_readers(limit: int = 1000) -> list[int]:
    return list(db.session.scalars(select(Notification.user_id).where(Notification.digest_pending.is_(True))
                                   .distinct().order_by(Notification.user_id).limit(limit)))


def local_now(user: User, now: datetime) -> datetime:
    try:
        zone = ZoneInfo(user.timezone or current_app.config["DEFAULT_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return now.astimezone(zone)


def send_digest(user_id: int, now: datetime, words) -> bool:
    """Write today's digest for this reader if it is due; True if one was written. `words` says notices
    in words (texts.notifications: `render(kind, params)`, `about_label(about)`), passed in since
    services speak no words. The caller commits."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                              Notification.digest_pending.is_(True))
                                   .order_by(Notification.created_at, Notification.id)))
    if not rows:
        return False
    if not user.active or not user.email_verified or not user.email_notifications:
        for row in rows:  # e-mail switched off since: the notices stay in the app only
            row.digest_pending = False
        return False
    local = local_now(user, now)
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(NotificationDigest(user_id=user.id, local_date=local.date(), notices=len(rows)))
    except IntegrityError as exc:  # today's digest is already out (or going out in a twin sweep)
        if not is_unique_violation(exc):
            raise
        return False
    with force_locale(mail.language_of(user)), force_timezone(user.timezone):
        groups: dict[tuple, dict] = {}
        for row in rows:
            about = (row.params or {}).get("about") or {}
            group = groups.setdefault((about.get("type"), about.get("id")),
                                      {"heading": words.about_label(about or None), "items": []})
            group["items"].append({"text": words.render(row.kind, row.params), "endpoint": row.endpoint,
                                   "url_args": row.url_args or {}, "anchor": row.anchor})
    mail.compose(user, "digest", _l("Witkey: your daily summary (%(count)s)", count=len(rows)),
                 groups=list(groups.values()), count=len(rows))
    for row in rows:
        row.digest_pending = False
    return True
