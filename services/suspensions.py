"""Account suspension: never silent, never stranding money (issue 14).

Staff suspend a brand or provider account with a reason the user is shown. In that same transaction:
- every login and API token of the account ends (`sessions.end_all`, `accounts.revoke_all_tokens`), and
  `users.suspended_at` makes `User.is_active` false, so nothing signs it in again until it is lifted;
- every milestone of its contracts with money in escrow and not already disputed goes before the
  dispute decision: staff open a dispute on it (reason `account_suspended`), decided with the usual
  release/refund/split (services.disputes), so neither side's money waits on a frozen account;
- a brand's undecided tenders are cancelled (their bidders told), a provider's live bids withdrawn (the
  brands told): neither can be taken further by an account that cannot act;
- its earned money (payable) is still paid out by the batches unless staff hold its payouts
  (models.suspension.payouts_held), a hold lifted with the suspension or on its own;
- the user is mailed the reason, in their language.
Organisations: suspending an organisation's principal (the account that owns its contracts and money)
suspends the company — every member is kept out (`User.is_suspended`), every member's logins and tokens
end — and only then does money go to settlement and tenders or bids close. Suspending any other member
keeps that one person out and touches nothing of the company's.
On signing in with the right password (and code), the user sees the reason and may appeal once; a staff
member other than the one who suspended decides the appeal: uphold, or lift. Every step is in the staff
audit log (services.audit)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from extensions import db
from models import Bid, Contract, Milestone, Suspension, Tender, User
from models.bid import LIVE
from models.contract import DISPUTABLE, ContractStatus
from models.tender import UNDECIDED
from models.types import utcnow
from services import accounts, audit, bidding, disputes, mail, sessions, tenders
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import Page, paginate

REASON_MIN, REASON_MAX = 10, 2000
SUSPENDABLE_ROLES = ("brand", "provider")


def _reason_error(reason: str):
    return not REASON_MIN <= len(reason) <= REASON_MAX and _l(
        "Give a reason of %(min)s to %(max)s characters.", min=REASON_MIN, max=REASON_MAX)


def _staff(user: User | None) -> None:
    if user is None or not user.is_admin:
        raise Forbidden(_l("Only platform staff suspend accounts."))


def standing(user_id: int) -> Suspension | None:
    """The account's suspension in force, if any."""
    return db.session.scalar(select(Suspension).where(Suspension.user_id == user_id, Suspension.lifted_at.is_(None)))


def standing_for(user_id: int) -> Suspension | None:
    """The suspension that keeps this user out: its own, else its organisation's (its principal's)."""
    own = standing(user_id)
    user = db.session.get(User, user_id) if own is None else None
    if user is None or user.account_id == user.id:
        return own
    return standing(user.account_id)


def _members(user: User) -> list[User]:
    """Whom a suspension of `user` keeps out: the whole organisation when `user` is its principal."""
    m = user.membership
    if m is None or m.organisation.account_user_id != user.id:
        return [user]
    return [membership.user for membership in m.organisation.memberships]


def get(staff: User, suspension_id: int) -> Suspension:
    _staff(staff)
    suspension = db.session.get(Suspension, suspension_id)
    if suspension is None:
        raise NotFound()
    return suspension


def refuse_if_suspended(user: User) -> None:
    """For a sign-in whose password (and code) was right: a suspended account is told why (403
    `account_suspended`). Never called before the password is checked, so it reveals nothing to others."""
    suspension = standing_for(user.id) if user.is_suspended else None
    if suspension is not None:
        raise Forbidden(_l("Your account is suspended since %(when)s (UTC): %(reason)s You may appeal once by "
                           "signing in on the website.", when=suspension.suspended_at.strftime("%Y-%m-%d"),
                           reason=suspension.reason), code="account_suspended")


def history(user_id: int) -> list[Suspension]:
    """Every suspension of the account, newest first (for the staff account page)."""
    return list(db.session.scalars(select(Suspension).where(Suspension.user_id == user_id)
                                   .order_by(Suspension.suspended_at.desc(), Suspension.id.desc())))


def account_for_staff(staff: User, user_id: int) -> User:
    """A brand or provider account as staff see it (404 for no such account)."""
    _staff(staff)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_accounts(staff: User, query: str, *, page: int = 1, per_page: int = 20) -> Page:
    """Staff look an account up by e-mail or name (brands and providers; newest first)."""
    _staff(staff)
    query = (query or "").strip()[:254]
    stmt = select(User).where(User.role.in_(SUSPENDABLE_ROLES))
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.display_name.ilike(like)))
    return paginate(stmt.order_by(User.created_at.desc(), User.id.desc()), page, per_page)


# --- suspending and lifting --------------------------------------------------------------------------

def suspend(staff: User, user_id: int, reason: str, *, hold_payouts: bool = False,
            hold_reason: str = "") -> Suspension:
    _staff(staff)
    user = locked_get(User, user_id)
    if user is None:
        raise NotFound()
    if user.role not in SUSPENDABLE_ROLES:
        raise Conflict(_l("Staff accounts cannot be suspended: only brand and provider accounts can."),
                       code="not_suspendable")
    reason = (reason or "").strip()
    hold_reason = (hold_reason or "").strip() or reason  # the suspension's own reason unless staff give one
    check({"reason": _reason_error(reason),
           "hold_payouts": hold_payouts and not user.is_provider
           and _l("Only a provider is paid out: there is nothing to hold."),
           "hold_reason": hold_payouts and _reason_error(hold_reason)})
    if user.is_suspended or standing(user.id) is not None:
        raise Conflict(_l("This account is already suspended."), code="already_suspended")
    now = utcnow()
    suspension = Suspension(user_id=user.id, reason=reason, suspended_by_id=staff.id, suspended_at=now)
    db.session.add(suspension)
    db.session.flush()  # the partial unique index refuses a second standing suspension (a racing twin)
    logins = tokens = 0
    for member in _members(user):
        logins += sessions.end_all(member)
        tokens += accounts.revoke_all_tokens(member)
    company = user.account_id == user.id  # the principal: the company itself, its money and market activity
    settled = _send_money_to_settlement(staff, user) if company else []
    closed = _close_market_activity(user) if company else {}
    user.suspended_at = now  # last: the closing above acts as the account, which permissions refuse once out
    audit.record(staff, "user.suspend", "user", user.id, before={"suspended": False},
                 after={"suspended": True, "suspension_id": suspension.id, "logins_ended": logins,
                        "tokens_revoked": tokens, "disputes_opened": settled, **closed},
                 reason=reason, affected_user_id=user.id)
    if hold_payouts:
        _hold(staff, suspension, hold_reason)
    mail.compose(user, "account_suspended", _l("Your Witkey account is suspended"), reason=reason,
                 when=now, disputes=len(settled), payouts_held=hold_payouts)
    return suspension


def _send_money_to_settlement(staff: User, user: User) -> list[int]:
    """A dispute opened by staff on every milestone of the account's running contracts that holds money
    in escrow and is not already disputed (those stay in their dispute). Returns the disputes' ids."""
    milestone_ids = db.session.scalars(
        select(Milestone.id).join(Contract, Contract.id == Milestone.contract_id)
        .where(or_(Contract.brand_id == user.id, Contract.provider_id == user.id),
               Contract.status == ContractStatus.ACTIVE, Milestone.status.in_(DISPUTABLE))
        .order_by(Milestone.id)).all()
    return [disputes.open_by_staff(staff, milestone_id, "account_suspended").id for milestone_id in milestone_ids]


def _close_market_activity(user: User) -> dict:
    """A suspended brand's undecided tenders are cancelled (bidders told: nobody waits on an award that
    cannot come); a suspended provider's live bids are withdrawn (the brands told). Neither comes back on
    lifting: the account posts or bids again."""
    if user.is_brand:
        ids = db.session.scalars(select(Tender.id).where(Tender.brand_id == user.id,
                                                         Tender.stored_status.in_(UNDECIDED))
                                 .order_by(Tender.id)).all()
        reason = str(_l("The brand's account is suspended."))
        return {"tenders_cancelled": [tenders.cancel_tender(user, tender_id, reason).id for tender_id in ids]}
    ids = db.session.scalars(select(Bid.id).join(Tender, Tender.id == Bid.tender_id)
                             .where(Bid.provider_id == user.id, Bid.status == LIVE,
                                    Tender.stored_status.in_(UNDECIDED)).order_by(Bid.id)).all()
    return {"bids_withdrawn": [bidding.withdraw_bid(user, bid_id).id for bid_id in ids]}


def _standing_of(user_id: int, *, lock: bool = True) -> Suspension:
    suspension = standing(user_id)
    if suspension is None:
        raise Conflict(_l("This account is not suspended."), code="not_suspended")
    return locked_get(Suspension, suspension.id) if lock else suspension


def _standing_action(staff: User, user_id: int, reason: str) -> tuple[User, Suspension, str]:
    """What staff act on when they change a standing suspension: the account, its suspension (locked) and
    their reason, checked."""
    _staff(staff)
    user = account_for_staff(staff, user_id)
    reason = (reason or "").strip()
    check({"reason": _reason_error(reason)})
    return user, _standing_of(user.id), reason


def lift(staff: User, user_id: int, reason: str) -> Suspension:
    """Staff lift a suspension: the account signs in again (its old logins and tokens stay ended)."""
    user, suspension, reason = _standing_action(staff, user_id, reason)
    _end(staff, suspension, reason)
    audit.record(staff, "user.unsuspend", "user", user.id, before={"suspended": True, "suspension_id": suspension.id},
                 after={"suspended": False}, reason=reason, affected_user_id=user.id)
    mail.compose(user, "account_restored", _l("Your Witkey account works again"), reason=reason)
    return suspension


def _end(staff: User, suspension: Suspension, reason: str) -> None:
    if suspension.payouts_held:
        _release(staff, suspension, reason)
    suspension.lifted_at, suspension.lifted_by_id, suspension.lift_reason = utcnow(), staff.id, reason
    suspension.user.suspended_at = None


# --- the appeal --------------------------------------------------------------------------------------

def appeal(user_id: int, suspension_id: int, text: str) -> Suspension:
    """The suspended user appeals, once (from the page shown when they sign in with the right password)."""
    suspension = locked_get(Suspension, suspension_id)
    held = standing_for(user_id)
    if suspension is None or held is None or held.id != suspension.id:
        raise NotFound()
    if suspension.user_id != user_id and db.session.get(User, user_id).org_role != "owner":
        raise Forbidden(_l("Your organisation's owner can appeal its suspension."), code="role_forbidden")
    if suspension.appealed_at is not None:
        raise Conflict(_l("You have already appealed this suspension: staff will answer by e-mail."),
                       code="already_appealed")
    text = (text or "").strip()
    check({"text": _reason_error(text)})
    suspension.appeal_text, suspension.appealed_at = text, utcnow()
    return suspension


def decide_appeal(staff: User, suspension_id: int, decision: str, reason: str) -> Suspension:
    """`uphold` (the suspension stands) or `lift` (the account works again), by a staff member other than
    the one who suspended: a second pair of eyes, or the appeal means nothing."""
    _staff(staff)
    suspension = locked_get(Suspension, suspension_id)
    if suspension is None:
        raise NotFound()
    reason = (reason or "").strip()
    check({"decision": decision not in ("uphold", "lift") and _l("Choose to uphold or to lift."),
           "reason": _reason_error(reason)})
    if not suspension.appeal_open:
        raise Conflict(_l("There is no open appeal on this suspension."), code="no_open_appeal")
    if staff.id == suspension.suspended_by_id:
        raise Forbidden(_l("You suspended this account: another staff member must decide the appeal."),
                        code="same_staff")
    user = suspension.user
    suspension.appeal_decided_at, suspension.appeal_decided_by_id = utcnow(), staff.id
    suspension.appeal_decision_reason = reason
    if decision == "uphold":
        suspension.appeal_decision = "upheld"
        audit.record(staff, "user.appeal_uphold", "suspension", suspension.id, before={"appeal": "open"},
                     after={"appeal": "upheld", "suspended": True}, reason=reason, affected_user_id=user.id)
        mail.compose(user, "appeal_upheld", _l("Your appeal was decided: the suspension stands"), reason=reason)
    else:
        suspension.appeal_decision = "lifted"
        _end(staff, suspension, reason)
        audit.record(staff, "user.appeal_lift", "suspension", suspension.id, before={"appeal": "open",
                                                                                    "suspended": True},
                     after={"appeal": "lifted", "suspended": False}, reason=reason, affected_user_id=user.id)
        mail.compose(user, "account_restored", _l("Your Witkey account works again"), reason=reason)
    return suspension


def appeal_queue(staff: User, *, page: int = 1, per_page: int = 20) -> Page:
    """Standing suspensions with an appeal waiting for a decision, newest appeal first."""
    _staff(staff)
    stmt = (select(Suspension).where(Suspension.lifted_at.is_(None), Suspension.appealed_at.is_not(None),
                                     Suspension.appeal_decided_at.is_(None))
            .order_by(Suspension.appealed_at.desc(), Suspension.id.desc()))
    return paginate(stmt, page, per_page)


# --- holding earned money --------------------------------------------------------------------------

def hold_payouts(staff: User, user_id: int, reason: str) -> Suspension:
    """Staff hold a suspended provider's payouts: the batches leave its payable where it is."""
    user, suspension, reason = _standing_action(staff, user_id, reason)
    if suspension.payouts_held:
        raise Conflict(_l("Payouts to this account are already held."), code="already_held")
    _hold(staff, suspension, reason)
    return suspension


def release_payouts(staff: User, user_id: int, reason: str) -> Suspension:
    user, suspension, reason = _standing_action(staff, user_id, reason)
    if not suspension.payouts_held:
        raise Conflict(_l("Payouts to this account are not held."), code="not_held")
    _release(staff, suspension, reason)
    return suspension


def _hold(staff: User, suspension: Suspension, reason: str) -> None:
    if not suspension.user.is_provider:
        raise Conflict(_l("Only a provider is paid out: there is nothing to hold."), code="not_a_provider")
    suspension.payouts_held_at, suspension.payouts_held_by_id = utcnow(), staff.id
    suspension.payout_hold_reason = reason
    suspension.payouts_released_at = suspension.payouts_released_by_id = None
    audit.record(staff, "user.payout_hold", "user", suspension.user_id, before={"payouts_held": False},
                 after={"payouts_held": True, "suspension_id": suspension.id}, reason=reason,
                 affected_user_id=suspension.user_id)


def _release(staff: User, suspension: Suspension, reason: str) -> None:
    suspension.payouts_released_at, suspension.payouts_released_by_id = utcnow(), staff.id
    audit.record(staff, "user.payout_release", "user", suspension.user_id, before={"payouts_held": True},
                 after={"payouts_held": False, "suspension_id": suspension.id}, reason=reason,
                 affected_user_id=suspension.user_id)
