"""How each notice reaches its reader: per kind, in the app only, by e-mail at once, or in a daily digest.

Every notice is always in the app (the bell and /notifications); the choice adds e-mail. A kind the
reader never chose takes its default: e-mail at once for what moves money, decides about the reader
or waits on it (EMAIL_BY_DEFAULT), in the app only for the rest. The account's e-mail switch
(users.email_notifications) still silences every e-mail, digests included."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import NotificationPreference, User
from models.notification import DELIVERIES
from services.errors import check

# Every kind a reader can receive, in the order the preferences page lists them.
KINDS = (
    "message_received",
    "invited", "bid_received", "bid_revised", "bid_withdrawn", "question_asked", "question_answered",
    "addendum_published", "bid_advanced", "bid_rejected", "slot_scheduled", "technical_opened", "prices_opened",
    "bafo_invited", "final_offer_received", "bid_awarded", "bid_not_awarded", "tender_cancelled",
    "milestone_funded", "fund_confirmation_needed", "milestone_delivered", "changes_requested",
    "milestone_released", "milestone_auto_released", "milestone_cancelled", "release_reminder", "payment_failed",
    "kpi_recorded", "usage_recorded",
    "period_funding_due", "period_auto_funded", "period_not_started", "period_started", "period_closed",
    "periods_proposed", "periods_changed", "contract_ending", "end_now_asked",
    "dispute_opened", "dispute_evidence", "dispute_withdrawn", "dispute_resolved",
    "deposit_recorded", "card_top_up", "withdrawal_paid", "withdrawal_refused", "withdrawal_failed",
    "payout_paid", "payout_failed", "margin_received", "margin_awarded",
    "chargeback_opened", "milestone_charged_back", "chargeback_recovery", "chargeback_recovery_cancelled",
    "review_received", "review_hidden", "review_of_you_hidden", "review_report_hidden", "review_report_kept",
    "provider_verified", "provider_rejected", "webhook_disabled",
    "contest_entry_submitted", "contest_won", "contest_awarded", "contest_cancelled",
    "contest_handover_delivered", "contest_handover_confirmed",
    "contest_offer_received", "contest_offer_accepted", "contest_offer_declined", "contest_offer_withdrawn",
    "contest_offer_expired",
    "contest_report_upheld", "contest_report_dismissed", "contest_entry_removed", "contest_entry_kept",
)
EMAIL_BY_DEFAULT = frozenset({
    "bid_received", "invited", "bid_awarded", "provider_verified", "provider_rejected", "slot_scheduled",
    "milestone_funded", "fund_confirmation_needed", "milestone_delivered", "release_reminder", "payment_failed",
    "dispute_opened", "dispute_resolved", "payout_paid", "payout_failed", "webhook_disabled", "message_received",
    "bafo_invited", "period_funding_due", "period_not_started", "contract_ending", "withdrawal_paid",
    "withdrawal_refused", "withdrawal_failed", "margin_awarded", "contest_won", "contest_cancelled",
    "contest_offer_received", "contest_offer_accepted",
    "contest_entry_removed",
})


def deliveries_for(user_ids, kinds) -> dict[tuple[int, str], str]:
    """`delivery_for` of every (user, kind) pair of these, in one query (notices sent in bulk)."""
    chosen = {(user_id, kind): delivery for user_id, kind, delivery in db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.delivery)
        .where(NotificationPreference.user_id.in_(set(user_ids)), NotificationPreference.kind.in_(set(kinds))))}
    return {(user_id, kind): chosen.get((user_id, kind), default_for(kind)) for user_id in user_ids for kind in kinds}


def default_for(kind: str) -> str:
    return "email" if kind in EMAIL_BY_DEFAULT else "in_app"


def preferences(user: User) -> dict[str, str]:
    """Every kind with this reader's delivery (chosen or default), in KINDS order."""
    chosen = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.delivery)
                                     .where(NotificationPreference.user_id == user.id)).all())
    return {kind: chosen.get(kind, default_for(kind)) for kind in KINDS}


def delivery_for(user_id: int, kind: str) -> str:
    row = db.session.get(NotificationPreference, (user_id, kind))
    return row.delivery if row is not None else default_for(kind)


def update(user: User, changes: dict) -> dict[str, str]:
    """Set the deliveries named in `changes` ({kind: delivery}); the others stay. All or nothing:
    one unknown kind or delivery refuses the whole change. The caller commits."""
    if not isinstance(changes, dict):
        changes = {}
    unknown = sorted(str(k) for k in changes if k not in KINDS)
    wrong = sorted(str(k) for k, v in changes.items() if k in KINDS and v not in DELIVERIES)
    check({"kinds": unknown and _l("Unknown kinds of notice: %(kinds)s.", kinds=", ".join(unknown)[:200]),
           "delivery": wrong and _l("Choose in the app only, e-mail at once or the daily digest for: %(kinds)s.",
                                    kinds=", ".join(wrong)[:200])})
    for kind, delivery in changes.items():
        row = db.session.get(NotificationPreference, (user.id, kind))
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, delivery=delivery))
        else:
            row.delivery = delivery
    db.session.flush()
    return preferences(user)
