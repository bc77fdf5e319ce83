"""Sending outgoing mail (services.mail): one message per call, each step committed, so that the
claim is visible to every other sender before the message leaves, and a failure is recorded."""
import logging

from extensions import db
from models import OutgoingMail
from services import mail

log = logging.getLogger(__name__)


def send(mail_id: int) -> str:
    """Send one message if it is still due: "sent", "failed" (retried after its backoff by the sweep)
    or "skipped" (already sent, given up, or another sender holds it)."""
    row = mail.claim(mail_id)
    db.session.commit()  # the claim stands before anything leaves
    if row is None:
        return "skipped"
    try:
        mail.transmit(row)
    except Exception as exc:  # noqa: BLE001 (every failure is recorded on the row and retried)
        db.session.rollback()
        row = db.session.get(OutgoingMail, mail_id)
        mail.mark_failed(row, exc, permanent=isinstance(exc, mail.PermanentFailure))
        db.session.commit()
        log.warning("mail %s (attempt %s) failed: %s", mail_id, row.attempts, row.last_error)
        return "failed"
    mail.mark_sent(row)
    db.session.commit()
    return "sent"


def send_due() -> dict:
    """The sweep: every unsent message whose attempt is due, each on its own."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for mail_id in mail.due():
        counts[send(mail_id)] += 1
    return counts
