"""Who sees which contest entries, and in what form.

- The brand that runs the contest sees every active entry, but only as the watermarked previews the
  image job made: the original of an entry downloads once the entry is paid for — it won a prize, or
  the brand bought it and released its milestone (services.contest_purchases).
- An entrant sees its own entries whole, and the others' active entries (previews) only when the
  contest is not blind.
- Staff see everything (they decide copying reports).
- Everyone else sees the contest and anonymised counts, never an entry.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Contest, ContestAward, ContestEntry, ContestEntryFile, User
from models.contest import UNDECIDED, ContestStatus, EntryStatus
from services import contest_purchases, contests
from services.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Stage:
    """What the contest's status allows now, for pages (they do not compare status words)."""
    undecided: bool  # the prize is in escrow: the brand may rate and shortlist
    entering: bool  # entries may be submitted, revised and withdrawn
    choosing: bool  # entries closed: the brand picks its winners


def stage_of(contest: Contest) -> Stage:
    return Stage(undecided=contest.status in UNDECIDED, entering=contest.status == ContestStatus.OPEN,
                 choosing=contest.status == ContestStatus.SELECTING)


def entry_active(entry: ContestEntry) -> bool:
    return entry.status == EntryStatus.ACTIVE


def _account(viewer: User | None) -> int | None:
    return getattr(viewer, "account_id", None) if viewer is not None and viewer.is_authenticated else None


def is_entrant(viewer: User | None, contest: Contest) -> bool:
    account = _account(viewer)
    return account is not None and any(e.provider_id == account for e in contest.entries)


def may_list(viewer: User | None, contest: Contest) -> bool:
    """Whether the viewer may list entries at all (the owner brand, staff, any provider)."""
    return viewer is not None and viewer.is_authenticated and (
        viewer.is_admin or contests.is_owner(viewer, contest) or viewer.is_provider)


def can_see(viewer: User | None, contest: Contest, entry: ContestEntry) -> bool:
    account = _account(viewer)
    if account is None:
        return False
    if viewer.is_admin or entry.provider_id == account:
        return True
    if entry.status != EntryStatus.ACTIVE:
        return False
    return contests.is_owner(viewer, contest) or (viewer.is_provider and not contest.blind)


def visible_entries(viewer: User | None, contest: Contest) -> list[ContestEntry]:
    """The entries the viewer may see, oldest first; Forbidden for a viewer who may see none."""
    if not may_list(viewer, contest):
        raise Forbidden(_l("Only the contest's brand and providers see its entries."))
    return [e for e in contest.entries if can_see(viewer, contest, e)]


def sees_private(viewer: User | None, contest: Contest, entry: ContestEntry) -> bool:
    """The brand's rating and feedback: for the brand, the entrant itself and staff."""
    account = _account(viewer)
    return account is not None and (viewer.is_admin or contests.is_owner(viewer, contest)
                                    or entry.provider_id == account)


def awarded_entry_ids(contest: Contest) -> set[int]:
    return set(db.session.scalars(select(ContestAward.entry_id).where(ContestAward.contest_id == contest.id)))


def paid_entry_ids(contest: Contest) -> set[int]:
    """The entries the brand has paid for: the winners, and the entries it bought once released."""
    return awarded_entry_ids(contest) | contest_purchases.bought_and_released(contest)


def original_allowed(viewer: User | None, contest: Contest, entry: ContestEntry,
                     awarded: set[int] | None = None) -> bool:
    """The original image: its entrant and staff always; the brand once the entry is paid for (won a
    prize, or bought and released). A list passes `awarded` (paid_entry_ids) read once, not per entry."""
    account = _account(viewer)
    if account is None:
        return False
    if viewer.is_admin or entry.provider_id == account:
        return True
    return contests.is_owner(viewer, contest) and entry.id in (
        awarded if awarded is not None else paid_entry_ids(contest))


def entry_file(viewer: User | None, contest_id: int, entry_id: int,
               file_id: int) -> tuple[ContestEntry, ContestEntryFile]:
    """An entry's file the viewer may see in some form (404 otherwise)."""
    contest = contests.get(contest_id)
    entry = db.session.get(ContestEntry, entry_id)
    if entry is None or entry.contest_id != contest.id or not can_see(viewer, contest, entry):
        raise NotFound()
    stored = next((f for f in entry.files if f.id == file_id), None)
    if stored is None:
        raise NotFound()
    return entry, stored


def check_original(viewer: User | None, contest: Contest, entry: ContestEntry) -> None:
    if not original_allowed(viewer, contest, entry):
        raise Forbidden(_l("The original is available once this entry has won its prize; until then "
                           "you see a watermarked preview."))
