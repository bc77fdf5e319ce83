"""Entries reported as copies: the contest's brand or one of its entrants reports, staff decide.

Each entry's files carry their SHA-256 and upload time, so staff can see who was first. Upheld: the
entry is removed from the contest (no longer shortlisted, never a finalist or winner) and the removal
is a strike on its provider's record in the audit log; dismissed: nothing changes. Both audited."""
from flask_babel import lazy_gettext as _l

from extensions import db
from models import ContestEntry, ContestReport, User
from models.contest import UNDECIDED, EntryStatus, ReportStatus
from models.status import can_move, transition
from models.types import utcnow
from services import audit, contest_views, contests
from services.errors import Conflict, NotFound, check
from services.locking import locked_get


def report(actor: User, contest_id: int, entry_id: int, reason: str,
           original_entry_id: int | None = None) -> ContestReport:
    contest = contests.get(contest_id)
    if actor is None or not (contests.is_owner(actor, contest) or contest_views.is_entrant(actor, contest)):
        raise NotFound()
    entry = db.session.get(ContestEntry, entry_id)
    original = db.session.get(ContestEntry, original_entry_id) if original_entry_id is not None else None
    if entry is None or entry.contest_id != contest.id:
        raise NotFound()
    reason = (reason or "").strip()
    other_entry = original is not None and original.contest_id == contest.id and original.id != entry.id
    check({"reason": not 10 <= len(reason) <= 2000
           and _l("Say what was copied, and from where (10 to 2000 characters)."),
           "original_entry_id": original_entry_id is not None and not other_entry
           and _l("Name another entry of this contest.")})
    if entry.provider_id == actor.account_id:
        raise Conflict(_l("You cannot report your own entry."), code="own_entry")
    row = ContestReport(entry_id=entry.id, original_entry_id=original_entry_id, reporter_id=actor.id, reason=reason)
    db.session.add(row)
    db.session.flush()
    return row


def decide(staff: User, report_id: int, uphold: bool, note: str = "") -> ContestReport:
    if staff is None or not staff.is_admin:
        raise NotFound()
    row = locked_get(ContestReport, report_id)
    if row is None:
        raise NotFound()
    if not can_move(row, ReportStatus.UPHELD):  # decided already (either way)
        raise Conflict(_l("This report is already decided."), code="illegal_transition")
    entry = locked_get(ContestEntry, row.entry_id)
    contest = contests.get(entry.contest_id, lock=True)
    if uphold:
        if contest.status not in UNDECIDED or entry.status != EntryStatus.ACTIVE:
            raise Conflict(_l("Only an entry still in the running of an undecided contest can be removed."),
                           code="illegal_transition")
        transition(entry, EntryStatus.REMOVED)
        entry.shortlisted = False
    transition(row, ReportStatus.UPHELD if uphold else ReportStatus.DISMISSED)
    row.decided_by_id, row.decided_at = staff.id, utcnow()
    audit.record(staff, "contest_entry.remove" if uphold else "contest_report.dismiss", "contest_entry", entry.id,
                 before={"status": "active" if uphold else entry.status}, after={"status": entry.status,
                                                                                   "report": row.id},
                 reason=(note or "").strip() or row.reason[:200], affected_user_id=entry.provider_id)
    return row
