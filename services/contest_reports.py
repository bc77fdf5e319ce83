"""Entries reported as copies: the contest's brand or one of its entrants reports, staff decide.

Each entry's files carry their SHA-256 and upload time, so staff can see who was first. Upheld: the
entry is removed from the contest (no longer shortlisted, never a finalist or winner) and the removal
is a strike on its provider's record in the audit log; dismissed: nothing changes. Both audited, and
both told to the reporter and to the reported entry's provider (who never learns who reported).

A report is taken while it could still be upheld: the contest undecided and the entry in the running."""
from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Contest, ContestEntry, ContestReport, User
from models.contest import UNDECIDED, EntryStatus, ReportStatus
from models.status import can_move, transition
from models.types import utcnow
from services import audit, contest_views, contests, destinations, notifications
from services.errors import Conflict, NotFound, check
from services.locking import locked_get
from services.pagination import Page, paginate

MIN_REASON, MAX_REASON = 10, 2000


def may_report(viewer: User | None, contest: Contest, entry: ContestEntry) -> bool:
    """Whether the page offers this viewer to report this entry: the contest's brand or one of its
    entrants, on an entry it sees that is not its own, while a report could still be upheld."""
    account = getattr(viewer, "account_id", None) if viewer is not None and viewer.is_authenticated else None
    return (account is not None and entry.provider_id != account and entry.status == EntryStatus.ACTIVE
            and contest.status in UNDECIDED and contest_views.can_see(viewer, contest, entry)
            and (contests.is_owner(viewer, contest) or contest_views.is_entrant(viewer, contest)))


def originals_for(viewer: User | None, contest: Contest, entry: ContestEntry) -> list[ContestEntry]:
    """The entries a reporter may name as the one copied: those it sees, other than the reported one."""
    return [e for e in contest.entries if e.id != entry.id and contest_views.can_see(viewer, contest, e)]


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
    check({"reason": not MIN_REASON <= len(reason) <= MAX_REASON
           and _l("Say what was copied, and from where (%(least)s to %(most)s characters).", least=MIN_REASON,
                  most=MAX_REASON),
           "original_entry_id": original_entry_id is not None and not other_entry
           and _l("Name another entry of this contest.")})
    if entry.provider_id == actor.account_id:
        raise Conflict(_l("You cannot report your own entry."), code="own_entry")
    if contest.status not in UNDECIDED or entry.status != EntryStatus.ACTIVE:
        raise Conflict(_l("Only an entry still in the running of an undecided contest can be reported."),
                       code="illegal_transition")
    if db.session.scalar(select(ContestReport.id).where(ContestReport.entry_id == entry.id,
                                                        ContestReport.reporter_id == actor.id,
                                                        ContestReport.status == ReportStatus.OPEN.value)):
        raise Conflict(_l("You have already reported this entry; staff will decide."), code="already_reported")
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
    _tell(staff, row, entry, uphold=uphold, note=(note or "").strip())
    return row


def _tell(staff: User, row: ContestReport, entry: ContestEntry, *, uphold: bool, note: str) -> None:
    """The reporter (in person) and the reported entry's provider hear the decision; the note is staff's
    reason, shown to both."""
    contest = entry.contest
    to = destinations.contest(contest.id)
    notifications.notify([row.reporter_id], "contest_report_upheld" if uphold else "contest_report_dismissed",
                         to=to, personal=True, actor=staff, contest=contest.title, entry=entry.id, note=note)
    notifications.notify([entry.provider_id], "contest_entry_removed" if uphold else "contest_entry_kept",
                         to=to, actor=staff, contest=contest.title, entry=entry.id, note=note)


# --- staff's queue ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Side:
    """One entry of a report as staff compare it: every version's file with its SHA-256 and upload time."""
    entry: ContestEntry
    provider: User
    first_upload: object  # when its first file arrived: the earlier of the two entries was first

    @property
    def files(self):
        return self.entry.files


@dataclass(frozen=True)
class QueuedReport:
    report: ContestReport
    contest: Contest
    reporter: User
    reporter_is_brand: bool  # else one of the contest's entrants
    reported: Side
    original: Side | None
    reported_first: bool  # the reported entry's first file is older than the named original's


def _side(entry: ContestEntry | None, users: dict[int, User]) -> Side | None:
    if entry is None:
        return None
    return Side(entry, users[entry.provider_id], min((f.uploaded_at for f in entry.files), default=entry.submitted_at))


def queue(staff: User, page: int = 1, per_page: int = 20) -> Page:
    """Open copy reports, the longest waiting first, each with both entries side by side."""
    if staff is None or not staff.is_admin:
        raise NotFound()
    result = paginate(select(ContestReport).where(ContestReport.status == ReportStatus.OPEN.value)
                      .order_by(ContestReport.created_at, ContestReport.id), page, per_page)
    ids = {r.entry_id for r in result.items} | {r.original_entry_id for r in result.items if r.original_entry_id}
    entries = {e.id: e for e in db.session.scalars(
        select(ContestEntry).where(ContestEntry.id.in_(ids)).options(selectinload(ContestEntry.files),
                                                                     selectinload(ContestEntry.contest)))}
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({r.reporter_id for r in result.items} | {e.provider_id for e in entries.values()})))}
    items = []
    for row in result.items:
        reported, original = _side(entries[row.entry_id], users), _side(entries.get(row.original_entry_id), users)
        contest, reporter = reported.entry.contest, users[row.reporter_id]
        items.append(QueuedReport(row, contest, reporter, reporter.account_id == contest.brand_id, reported, original,
                                  original is not None and reported.first_upload < original.first_upload))
    return replace(result, items=items)
