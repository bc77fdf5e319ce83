"""The digest sweep: each reader with pending digest notices on its own transaction, so one bad
reader (a broken template, a lost connection) holds back no other."""
import logging

from extensions import db
from models.types import utcnow
from services import digests

log = logging.getLogger(__name__)


def send_due(words) -> dict:
    """`words`: texts.notifications (see digests.send_digest)."""
    now = utcnow()
    counts = {"sent": 0, "waiting": 0, "failed": 0}
    for user_id in digests.pending_readers():
        try:
            sent = digests.send_digest(user_id, now, words)
            db.session.commit()
        except Exception:  # retried at the next sweep
            db.session.rollback()
            log.exception("digest for user %s failed", user_id)
            counts["failed"] += 1
            continue
        counts["sent" if sent else "waiting"] += 1
    return counts
