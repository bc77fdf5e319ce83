"""The staff audit log as staff read it: each entry's action, subject and changes in the viewer's
language, amounts as money and times in the viewer's zone (services.audit stores codes and raw values)."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from i18n import datetime_local, money
from i18n.labels import (
    ADJUSTMENT_DIRECTION_LABELS,
    AUDIT_FIELD_LABELS,
    AUDIT_SUBJECT_LABELS,
    BATCH_STATUS_LABELS,
    CHARGEBACK_STATUS_LABELS,
    CORRECTION_STATUS_LABELS,
    DISPUTE_STATUS_LABELS,
    LOSS_BEARER_LABELS,
    MILESTONE_STATUS_LABELS,
    PAYOUT_METHOD_LABELS,
    PAYOUT_STATUS_LABELS,
    ROLE_LABELS,
    STAFF_ACTION_LABELS,
    STATEMENT_LINE_STATUS_LABELS,
    VERIFICATION_LABELS,
    WITHDRAWAL_STATUS_LABELS,
)
from models.audit import StaffAction
from services import audit

MONEY_FIELDS = frozenset({"provider_amount", "commission", "refund", "wallet_balance", "amount", "recovery_cap",
                          "min_amount", "provider_share"})
TIME_FIELDS = frozenset({"cutoff", "since"})
VALUE_LABELS = {"verification_status": VERIFICATION_LABELS, "milestone_status": MILESTONE_STATUS_LABELS,
                "loss_bearer": LOSS_BEARER_LABELS, "method": PAYOUT_METHOD_LABELS, "role": ROLE_LABELS,
                "direction": ADJUSTMENT_DIRECTION_LABELS}
STATUS_LABELS = {"dispute": DISPUTE_STATUS_LABELS, "payout": PAYOUT_STATUS_LABELS, "payout_batch": BATCH_STATUS_LABELS,
                 "chargeback": CHARGEBACK_STATUS_LABELS, "bank_statement_line": STATEMENT_LINE_STATUS_LABELS,
                 "withdrawal": WITHDRAWAL_STATUS_LABELS}
LONGEST = 200  # characters of a long text (chargeback evidence) shown in the log; the rest is on the case


def action_label(action: str) -> str:
    """An action's name; one another module records before it has a label here shows as its code."""
    return str(STAFF_ACTION_LABELS.get(action, action))


def subject_label(subject_type: str) -> str:
    return str(AUDIT_SUBJECT_LABELS.get(subject_type, subject_type))


def field_label(name: str) -> str:
    return str(AUDIT_FIELD_LABELS.get(name, name))


def _status_labels(entry: StaffAction) -> dict:
    """A correction's status is recorded on its dispute's entries: read it as a correction's."""
    if entry.action.startswith("dispute.correct"):
        return CORRECTION_STATUS_LABELS
    return STATUS_LABELS.get(entry.subject_type, {})


def value_text(entry: StaffAction, name: str, value) -> str:
    """One recorded value as the viewer reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    currency = (entry.after or {}).get("currency") or (entry.before or {}).get("currency") or "CNY"
    if name in MONEY_FIELDS and isinstance(value, int):
        return money(value, currency)
    if name in TIME_FIELDS and isinstance(value, str):
        try:
            return datetime_local(datetime.fromisoformat(value))
        except ValueError:
            return value
    labels = _status_labels(entry) if name == "status" else VALUE_LABELS.get(name, {})
    if isinstance(value, str) and value in labels:
        return str(labels[value])
    text = str(value)
    return text if len(text) <= LONGEST else text[:LONGEST] + "…"


@dataclass(frozen=True)
class ShownChange:
    field: str
    before: str
    after: str


def shown_changes(entry: StaffAction) -> list[ShownChange]:
    """The entry's changed fields (services.audit.changes), labelled and formatted for the page."""
    return [ShownChange(field_label(c.field), value_text(entry, c.field, c.before), value_text(entry, c.field, c.after))
            for c in audit.changes(entry)]
