"""The handover after a contest is awarded: each winner uploads its full-resolution source files, the
brand confirms, and a handover the brand leaves unconfirmed confirms itself after the contest's
handover days (as a delivered milestone releases itself). The prize was paid on award; the handover
moves no money. The contest's IP terms apply to what is handed over."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Contest, ContestAward, ContestHandoverFile, User
from models.contest import HandoverState
from models.status import IllegalTransition, transition
from models.types import utcnow
from services import contests, notifications, storage
from services.errors import Conflict, Invalid, NotFound
from services.locking import locked_get

MAX_FILES = 10


def award_for(viewer: User | None, contest_id: int, award_id: int, *, lock: bool = False) -> ContestAward:
    """The award if the viewer is its winner, the contest's brand, or staff; else 404."""
    award = locked_get(ContestAward, award_id) if lock else db.session.get(ContestAward, award_id)
    if award is None or award.contest_id != contest_id or viewer is None or not (
            viewer.is_admin or viewer.account_id in (award.entry.provider_id, award.contest.brand_id)):
        raise NotFound()
    return award


def _move(award: ContestAward, state: HandoverState) -> None:
    try:
        transition(award, state)
    except IllegalTransition:
        raise Conflict(_l("This handover cannot go from “%(old)s” to “%(new)s”.", old=award.handover_state,
                          new=state.value), code="illegal_transition") from None


def deliver(actor: User, contest_id: int, award_id: int, files: list[tuple[object, str]]) -> ContestAward:
    award = award_for(actor, contest_id, award_id, lock=True)
    if actor.account_id != award.entry.provider_id:
        raise NotFound()
    if not 1 <= len(files) <= MAX_FILES:
        raise Invalid(fields={"file": _l("Hand over 1 to %(n)s files.", n=MAX_FILES)})
    _move(award, HandoverState.DELIVERED)
    for stream, filename in files:
        stored = storage.save(stream, filename, f"handover/{contest_id}", actor.id)
        award.handover_files.append(ContestHandoverFile.from_stored(stored, uploaded_at=utcnow()))
    award.handover_delivered_at = utcnow()
    notifications.notify([award.contest.brand_id], "contest_handover_delivered", actor=actor,
                         contest=award.contest.title, days=award.contest.handover_days)
    return award


def confirm(actor: User, contest_id: int, award_id: int) -> ContestAward:
    award = award_for(actor, contest_id, award_id, lock=True)
    if not contests.is_owner(actor, award.contest):
        raise NotFound()
    _confirm(award, auto=False)
    return award


def _confirm(award: ContestAward, *, auto: bool) -> None:
    _move(award, HandoverState.CONFIRMED)
    award.handover_confirmed_at, award.handover_auto = utcnow(), auto
    notifications.notify([award.entry.provider_id], "contest_handover_confirmed", contest=award.contest.title)


def confirm_due(now: datetime) -> int:
    """Confirm every handover the brand left past its contest's handover days, one row lock each."""
    done = 0
    rows = db.session.execute(select(ContestAward.id, ContestAward.handover_delivered_at, Contest.handover_days)
                              .join(Contest, Contest.id == ContestAward.contest_id)
                              .where(ContestAward.handover_state == HandoverState.DELIVERED)).all()
    for award_id, delivered_at, days in rows:
        if delivered_at + timedelta(days=days) > now:
            continue
        award = locked_get(ContestAward, award_id)
        if award.handover_state == HandoverState.DELIVERED:  # (the brand may have confirmed meanwhile)
            _confirm(award, auto=True)
            done += 1
    return done
