"""Outgoing e-mail: composed in the business transaction, sent by a worker after commit.

`compose(user, kind, subject, **context)` renders `templates/mail/<kind>.txt` and `.html` in the
recipient's language (their account setting, else the language given, else the default), stores one
`outgoing_mail` row with a fixed Message-ID in the caller's transaction, and asks for the
`send_mail` job once that transaction commits. Links in the templates are built with `public_url`
(on PUBLIC_URL, never on the request's Host header).

Sending (services.runners.mail): a sender claims a row by pushing its `next_attempt_at` ahead in a
committed UPDATE, so two senders never both take it; hands it to the transport; marks it sent. A
failure pushes the next attempt back (BACKOFF) and the periodic sweep sends it then; a worker killed
between the hand-over and the mark leaves the row to be sent again after the lease: at least once,
with the same Message-ID.

Transport: MAIL_URL `smtp://user:pass@host:587` (STARTTLS when the server offers it; `?starttls=1`
requires it), `smtps://…` (TLS from the start); unset, each message becomes `MAIL_DIR/<id>.eml`.
"""
import os
import smtplib
import ssl
import tempfile
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import select, update

from extensions import db
from models import OutgoingMail, User
from models.types import utcnow
from services import tasks

LEASE = timedelta(minutes=10)  # a sender killed mid-send holds a message this long
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]  # then it is given up
SMTP_TIMEOUT = 30


def current_locale() -> str | None:
    """The language of whoever is acting now (a registration or reset request speaks it)."""
    locale = get_locale()
    return str(locale) if locale is not None else None


def language_of(user: User | None, locale: str | None = None) -> str:
    """The recipient's language: their account setting, else `locale`, else the default."""
    languages = current_app.config["LANGUAGES"]
    for candidate in (user.locale if user is not None else None, locale):
        if candidate in languages:
            return candidate
        if candidate and candidate.startswith("zh"):
            return "zh_CN"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def render(kind: str, subject, locale: str, **context) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/mail/<kind>.*` in `locale`. Rendered without the page
    context processors: a mail never speaks of the request's user."""
    env = current_app.jinja_env
    with force_locale(locale):
        subject = str(subject)
        context = {"subject": subject, "locale": locale, **context}
        text = env.get_template(f"mail/{kind}.txt").render(context)
        html = env.get_template(f"mail/{kind}.html").render(context)
    return subject, text, html


def compose(user: User | None, kind: str, subject, *, to: str | None = None, locale: str | None = None,
            **context) -> OutgoingMail:
    """Write one message to `user` (or the address `to`) in this transaction; sent after commit.
    `subject` is a lazy string, rendered in the recipient's language like the templates."""
    language = language_of(user, locale)
    subject, text, html = render(kind, subject, language, user=user, **context)
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "witkey.localhost"
    now = utcnow()
    mail = OutgoingMail(user_id=user.id if user is not None else None, to_address=to or user.email, kind=kind,
                        locale=language, subject=subject[:255], text_body=text, html_body=html,
                        message_id=make_msgid(domain=domain), created_at=now, next_attempt_at=now)
    db.session.add(mail)
    db.session.flush()
    tasks.after_commit("send_mail", mail.id, queue_name="mail")
    return mail


def message(mail: OutgoingMail) -> EmailMessage:
    """The MIME message: text and HTML alternatives, with the row's Message-ID and date."""
    msg = EmailMessage()
    msg["Subject"] = mail.subject
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = mail.to_address
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = mail.message_id
    msg.set_content(mail.text_body)
    msg.add_alternative(mail.html_body, subtype="html")
    msg["Content-Language"] = mail.locale.replace("_", "-")  # after the parts: they take Content-* headers along
    return msg


# --- sending (the steps services.runners.mail commits between) ------------------------------------

def claim(mail_id: int) -> OutgoingMail | None:
    """Take the message for one attempt if it is unsent and due; None if sent, given up, or another
    sender holds it. The caller commits before sending."""
    now = utcnow()
    taken = db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_(None),
               OutgoingMail.next_attempt_at.is_not(None), OutgoingMail.next_attempt_at <= now)
        .values(attempts=OutgoingMail.attempts + 1, last_attempt_at=now, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    return db.session.get(OutgoingMail, mail_id, populate_existing=True) if taken else None


def mark_sent(mail: OutgoingMail) -> None:
    mail.sent_at, mail.next_attempt_at, mail.last_error = utcnow(), None, None


def mark_failed(mail: OutgoingMail, error: Exception, *, permanent: bool = False) -> None:
    """Try again after the backoff for this attempt; give up after the last one (or at once when the
    server refused the recipient for good)."""
    mail.last_error = f"{type(error).__name__}: {error}"[:500]
    if permanent or mail.attempts > len(BACKOFF):
        mail.next_attempt_at = None
    else:
        mail.next_attempt_at = utcnow() + BACKOFF[mail.attempts - 1]


def due(limit: int = 200) -> list[int]:
    """Unsent messages whose next attempt is due: never queued (Redis was down), failed and backed off,
    or held by a sender that died."""
    return list(db.session.scalars(
        select(OutgoingMail.id).where(OutgoingMail.sent_at.is_(None), OutgoingMail.next_attempt_at <= utcnow())
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit)))


class PermanentFailure(Exception):
    """The server refused the message for good (5xx on the recipient): retrying would not help."""


def transmit(mail: OutgoingMail) -> str:
    """Hand the message over: SMTP when MAIL_URL is set, else an .eml file. Returns where it went."""
    msg = message(mail)
    url = current_app.config.get("MAIL_URL")
    if not url:
        return _write_eml(mail, msg)
    _send_smtp(url, msg)
    return url.rpartition("@")[2]


def _write_eml(mail: OutgoingMail, msg: EmailMessage) -> str:
    folder = Path(current_app.config.get("MAIL_DIR") or Path(current_app.config["INSTANCE_PATH"]) / "mail")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{mail.id:06d}-{mail.kind}.eml"
    # Written whole, then renamed: a reader never sees half a message; a resend replaces the same file.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".eml")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes())
    os.replace(tmp, target)
    return str(target)


def _send_smtp(url: str, msg: EmailMessage) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"MAIL_URL must start with smtp:// or smtps://, not {parts.scheme}://")
    query = parse_qs(parts.query)
    require_tls = query.get("starttls", ["0"])[0] in ("1", "true", "yes")
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=SMTP_TIMEOUT)
    with client:
        client.ehlo()
        if parts.scheme == "smtp" and (require_tls or client.has_extn("starttls")):
            client.starttls(context=context)  # raises SMTPNotSupportedError when required but not offered
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        try:
            client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _why in exc.recipients.values()):
                raise PermanentFailure(str(exc.recipients)) from exc
            raise
