"""The staff audit log (models.audit.StaffAction): the one way a staff action is recorded, and its search.

Call `record` inside the service function that makes the change, after the change and before the
commit, so the entry and the change land (or roll back) together. `before`/`after` hold the fields
the action changed, as JSON-safe values (money as integer minor units, with its `currency` beside it).

The actor is the staff member; it is None only for the command line (`flask users create-admin`),
which runs as whoever operates the server and has no staff account behind it: pages say "command line".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from extensions import db
from models.audit import StaffAction
from models.user import User
from services.errors import check
from services.pagination import Page, paginate

# Every action staff take, as recorded in `StaffAction.action` (labels: i18n.labels.STAFF_ACTION_LABELS).
# Actions other modules add later (dispute corrections, suspensions) are found in the table as well.
ACTIONS = (
    "provider.verify", "provider.reject", "brand.verify", "brand.reject",
    "dispute.decide",
    "deposit.record",
    "payout_batch.request", "payout.mark_paid", "payout.mark_failed",
    "review.hide", "review.keep",
    "chargeback.save_evidence", "chargeback.submit_evidence", "chargeback.provider_at_fault",
    "reconciliation.run", "reconciliation.request",
    "ratings.recompute",
    "user.create_admin",
    "user.suspend", "user.unsuspend", "user.appeal_uphold", "user.appeal_lift", "user.payout_hold",
    "user.payout_release",
    "dispute.correct", "dispute.correction_propose", "dispute.correction_approve", "dispute.correction_reject",
    "bank_statement.import", "bank_line.assign", "bank_line.return",
    "conversation.read",
    "withdrawal.approve", "withdrawal.refuse",
    "margin.category_set", "margin.award", "margin.award_propose", "margin.award_approve", "margin.award_reject",
    "contest.cancel", "contest_entry.remove", "contest_report.dismiss",
)
# What an action is done to: the kind in `subject_type` (its id is the row's id; a provider is its user id).
SUBJECT_TYPES = ("provider", "dispute", "deposit", "payout_batch", "payout", "review", "chargeback",
                 "reconciliation_run", "ratings", "user", "suspension", "bank_statement_line",
                 "conversation", "withdrawal", "category_margin", "contest",
                 "contest_entry")
TEXT_MAX = 200  # the longest free text searched for in reasons
# Days beyond these bound nothing (and would overflow once moved to UTC): the search leaves that end open.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def _plain(value):
    """JSON-safe copy: enums by value, times in ISO 8601, decimals as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(actor: User | None, action: str, subject_type: str, subject_id: int | None, *,
           before: dict | None = None, after: dict | None = None, reason: str | None = None,
           affected_user_id: int | None = None, other_user_id: int | None = None) -> StaffAction:
    """Add the entry to the caller's transaction. `affected_user_id`: the account the action touches
    (a second one, such as the brand of a decided dispute, in `other_user_id`)."""
    entry = StaffAction(
        actor_id=actor.id if actor is not None else None, action=action, subject_type=subject_type,
        subject_id=subject_id, affected_user_id=affected_user_id, other_user_id=other_user_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None, reason=(reason or "").strip() or None,
    )
    db.session.add(entry)
    return entry


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """A search of the log; every filter is optional. `date_from`/`date_to` are days (both included)
    in `timezone`, the viewer's zone; `affected` is an account's id or e-mail, matched on either account
    an entry touches; `command_line` keeps the entries no staff member made."""

    actor_id: int | None = None
    command_line: bool = False
    action: str | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    affected: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    timezone: str = "UTC"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_start(day: date, timezone: str) -> datetime:
    """The first moment of `day` in `timezone` (so a day means the viewer's day, not UTC's)."""
    return datetime.combine(day, time.min, tzinfo=_zone(timezone))


def affected_user_id(text: str | None) -> int | None:
    """An account named by id (“42”) or e-mail; None when nothing is named. -1 when no account has it,
    so the search finds nothing instead of ignoring the filter."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text) if len(text) <= 18 else -1
    user = User.by_email(text)
    return user.id if user is not None else -1


def search(filters: Filters, page: int = 1, per_page: int = 50) -> Page:
    """Entries matching every filter given, newest first."""
    text = (filters.text or "").strip()
    check({
        "date_to": filters.date_from and filters.date_to and filters.date_to < filters.date_from
        and _l("The end date is before the start date."),
        "q": len(text) > TEXT_MAX and _l("At most %(n)s characters.", n=TEXT_MAX),
    })
    stmt = select(StaffAction).options(selectinload(StaffAction.actor), selectinload(StaffAction.affected_user),
                                       selectinload(StaffAction.other_user))
    if filters.command_line:
        stmt = stmt.where(StaffAction.actor_id.is_(None))
    elif filters.actor_id is not None:
        stmt = stmt.where(StaffAction.actor_id == filters.actor_id)
    if filters.action:
        stmt = stmt.where(StaffAction.action == filters.action)
    if filters.subject_type:
        stmt = stmt.where(StaffAction.subject_type == filters.subject_type)
    if filters.subject_id is not None:
        stmt = stmt.where(StaffAction.subject_id == filters.subject_id)
    if (account := affected_user_id(filters.affected)) is not None:
        stmt = stmt.where(or_(StaffAction.affected_user_id == account, StaffAction.other_user_id == account))
    if filters.date_from and filters.date_from > FIRST_DAY:
        stmt = stmt.where(StaffAction.created_at >= day_start(filters.date_from, filters.timezone))
    if filters.date_to and filters.date_to < LAST_DAY:
        stmt = stmt.where(StaffAction.created_at < day_start(filters.date_to + timedelta(days=1), filters.timezone))
    if text:
        stmt = stmt.where(StaffAction.reason.icontains(text, autoescape=True))
    return paginate(stmt.order_by(StaffAction.created_at.desc(), StaffAction.id.desc()), page, per_page)


def known_actions() -> list[str]:
    """The actions a search can pick: this module's, and any other module's already in the log."""
    recorded = db.session.scalars(select(StaffAction.action).distinct())
    return [*ACTIONS, *sorted(set(recorded) - set(ACTIONS))]


def staff_members() -> list[User]:
    """Everyone who can appear as an actor: staff accounts, by name."""
    return list(db.session.scalars(select(User).where(User.role == "admin").order_by(User.display_name, User.id)))


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def changes(entry: StaffAction) -> list[Change]:
    """The fields the action changed (present on either side with different values), in recorded order."""
    before, after = entry.before or {}, entry.after or {}
    fields = [*before, *(k for k in after if k not in before)]
    return [Change(name, before.get(name), after.get(name)) for name in fields
            if before.get(name) != after.get(name)]
