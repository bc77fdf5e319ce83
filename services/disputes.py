"""Disputes: either party freezes a milestone, both submit evidence, staff decide a release, refund
or split. The decision posts once (key `resolve:dispute:<id>`) and is never edited; a correction is
a separate staff adjustment with its own reason. Every action lands in the dispute's audit trail."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from i18n import money
from models import (
    Contract,
    Dispute,
    DisputeCorrection,
    DisputeEvent,
    DisputeEvidence,
    EvidenceFile,
    LedgerAccount,
    Milestone,
    StripePayment,
    StripeRefund,
    User,
)
from models.contract import DISPUTABLE, MilestoneStatus
from models.dispute import (
    CORRECTION_DIRECTIONS,
    DISPUTE_REASONS,
    STAFF_DISPUTE_REASONS,
    CorrectionStatus,
    DisputeStatus,
)
from models.status import transition
from models.stripe import RefundStatus
from models.types import utcnow
from services import (
    audit,
    card_refunds,
    destinations,
    escrow,
    ledger,
    notifications,
    permissions,
    platform_invoices,
    storage,
    webhooks,
)
from services.bidding import openings_of
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import Page, paginate
from services.rating_jobs import request_recompute

RESPONSE_DAYS = 5


def _record(dispute: Dispute, actor: User | None, action: str, **detail) -> None:
    dispute.events.append(DisputeEvent(actor_id=actor.id if actor else None, action=action, detail=detail))


def _side(actor: User, milestone: Milestone) -> str:
    """The actor's side of the milestone's contract, for a member whose role handles disputes."""
    if actor.account_id == milestone.contract.brand_id:
        side = "brand"
    elif actor.account_id == milestone.contract.provider_id:
        side = "provider"
    else:
        raise Forbidden(_l("Only the contract's brand or provider can do that."))
    permissions.require(actor, "dispute.manage", milestone)
    return side


def _other_party(dispute: Dispute, actor: User) -> int:
    contract = dispute.milestone.contract
    return contract.provider_id if actor.account_id == contract.brand_id else contract.brand_id


def _on_opening_side(dispute: Dispute, user: User) -> bool:
    """Whether `user` is of the organisation that opened the dispute (its opener is a person)."""
    return dispute.opened_by.account_id == user.account_id


def _link(dispute: Dispute) -> destinations.Destination:
    return destinations.dispute(dispute.id)


def _save_files(files, milestone_id: int, actor: User) -> list[EvidenceFile]:
    return [EvidenceFile.from_stored(storage.save(stream, filename, f"disputes/{milestone_id}", actor.id))
            for stream, filename in files or []]


def open_dispute(actor: User, milestone_id: int, reason: str, statement: str = "", *,
                 links: list[str] | None = None, files=None) -> Dispute:
    milestone = escrow.milestone_for(actor, milestone_id, lock=True)
    _side(actor, milestone)
    statement, links = (statement or "").strip(), [link.strip() for link in links or [] if link.strip()]
    check({
        "reason": reason not in DISPUTE_REASONS and _l("Choose one of the listed reasons."),
        "statement": len(statement) > 5000 and _l("At most 5000 characters."),
        "evidence": escrow.links_error(links),
    })
    dispute = _open(milestone, actor, reason, statement, links=links, files=files)
    notifications.notify([_other_party(dispute, actor)], "dispute_opened", to=_link(dispute),
                         milestone=milestone.title)
    return dispute


def open_by_staff(staff: User, milestone_id: int, reason: str) -> Dispute:
    """Staff put a funded milestone before the dispute decision themselves, for a platform reason
    (STAFF_DISPUTE_REASONS: a suspended account's money in escrow). It is then decided like any dispute;
    both parties are told and may add evidence."""
    if staff is None or not staff.is_admin:
        raise Forbidden(_l("Only platform staff open a dispute for the platform."))
    milestone = escrow.milestone_for(staff, milestone_id, lock=True)
    check({"reason": reason not in STAFF_DISPUTE_REASONS and _l("Choose one of the listed reasons.")})
    dispute = _open(milestone, staff, reason, "", links=[], files=None)
    notifications.notify([milestone.contract.brand_id, milestone.contract.provider_id], "dispute_opened",
                         to=_link(dispute), milestone=milestone.title)
    return dispute


def _open(milestone: Milestone, actor: User, reason: str, statement: str, *, links: list[str], files) -> Dispute:
    if milestone.status not in DISPUTABLE:
        raise Conflict(_l("Only a funded, delivered or changes-requested milestone can be disputed."),
                       code="illegal_transition")
    now, previous = utcnow(), milestone.status
    dispute = Dispute(milestone_id=milestone.id, opened_by_id=actor.id, reason=reason, statement=statement,
                      status=DisputeStatus.OPEN.value, previous_status=previous, opened_at=now,
                      response_deadline=now + timedelta(days=RESPONSE_DAYS))
    escrow.transition(milestone, MilestoneStatus.DISPUTED, actor, note=statement, reason=reason)
    milestone.delivered_at = None  # the auto-release clock stops while staff review
    db.session.add(dispute)
    if statement or links or files:
        dispute.evidence.append(DisputeEvidence(author_id=actor.id, note=statement, links=links,
                                                files=_save_files(files, milestone.id, actor)))
    _record(dispute, actor, "opened", reason=reason, previous_status=previous)
    db.session.flush()  # the partial unique index refuses a second open dispute here
    webhooks.dispute_event("dispute.opened", dispute)
    return dispute


def dispute_for(viewer: User | None, dispute_id: int, *, lock: bool = False) -> Dispute:
    """The dispute for its two parties and staff; anyone else gets 404."""
    dispute = locked_get(Dispute, dispute_id) if lock else db.session.get(Dispute, dispute_id)
    if dispute is None or viewer is None:
        raise NotFound()
    contract = dispute.milestone.contract
    if not (viewer.is_admin or viewer.account_id in (contract.brand_id, contract.provider_id)):
        raise NotFound()
    return dispute


def dispute_openings(viewer: User | None, dispute_id: int):
    """Staff deciding a dispute see who of the brand opened which bid of the tender, and when."""
    dispute = dispute_for(viewer, dispute_id)
    if not viewer.is_admin:
        raise NotFound()
    tender = dispute.milestone.contract.tender
    return openings_of(tender) if tender is not None else []  # a bought contest entry had no bids


def _require_open(dispute: Dispute) -> None:
    if dispute.status != DisputeStatus.OPEN:
        raise Conflict(_l("This dispute is closed."), code="dispute_closed")


def _close(dispute: Dispute, status: DisputeStatus) -> None:
    """The one place a dispute's status changes: open → withdrawn or resolved, once
    (models.dispute.TRANSITIONS)."""
    _require_open(dispute)
    transition(dispute, status)
    dispute.closed_at = utcnow()


def allowed_actions(dispute: Dispute, user: User | None) -> frozenset[str]:
    """What `user` may do on the dispute's page now: while it is open, the parties add evidence
    ("evidence") and its opener withdraws it ("withdraw"), and staff decide it ("decide"); once
    decided, staff correct it ("adjust") unless a proposed correction waits for approval."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_admin:
        if dispute.status == DisputeStatus.RESOLVED:
            return frozenset(() if any(c.is_pending for c in dispute.corrections) else {"adjust"})
        return frozenset({"decide"} if dispute.status == DisputeStatus.OPEN else ())
    if dispute.status != DisputeStatus.OPEN or not permissions.allowed(user, "dispute.manage", dispute.milestone):
        return frozenset()
    return frozenset({"evidence", "withdraw"} if _on_opening_side(dispute, user) else {"evidence"})


def add_evidence(actor: User, dispute_id: int, note: str, links: list[str] | None = None, files=None):
    dispute = dispute_for(actor, dispute_id, lock=True)
    _side(actor, dispute.milestone)
    _require_open(dispute)
    note, links = (note or "").strip(), [link.strip() for link in links or [] if link.strip()]
    check({
        "note": (not note and not links and not files) and _l("Add a note, a link or a file."),
        "links": escrow.links_error(links),
    })
    check({"note": len(note) > 5000 and _l("At most 5000 characters.")})
    evidence = DisputeEvidence(author_id=actor.id, note=note, links=links,
                               files=_save_files(files, dispute.milestone_id, actor))
    dispute.evidence.append(evidence)
    _record(dispute, actor, "evidence", links=len(links), files=len(evidence.files))
    db.session.flush()
    notifications.notify([_other_party(dispute, actor)], "dispute_evidence", to=_link(dispute),
                         milestone=dispute.milestone.title)
    webhooks.dispute_event("dispute.evidence_added", dispute)
    return evidence


def withdraw(actor: User, dispute_id: int) -> Dispute:
    """The side that opened the dispute drops it: the milestone goes back to where it was, and a
    delivered one restarts its auto-release clock."""
    dispute = dispute_for(actor, dispute_id, lock=True)
    if not _on_opening_side(dispute, actor):
        raise Forbidden(_l("Only the side that opened the dispute can withdraw it."))
    _side(actor, dispute.milestone)
    _require_open(dispute)
    milestone = locked_get(Milestone, dispute.milestone_id)
    escrow.restore_after_dispute(milestone, dispute.previous_status, actor, dispute.id)
    _close(dispute, DisputeStatus.WITHDRAWN)
    _record(dispute, actor, "withdrawn", restored=dispute.previous_status)
    notifications.notify([_other_party(dispute, actor)], "dispute_withdrawn", to=_link(dispute),
                         milestone=milestone.title)
    return dispute


def resolve(staff: User, dispute_id: int, provider_amount: int, reason: str) -> Dispute:
    """Staff decide: the provider gets provider_amount − commission on it, the platform that
    commission, the brand the rest back (to its wallet, or as a Stripe refund of the card payment)."""
    if staff is None or not staff.is_admin:
        raise Forbidden(_l("Only platform staff decide disputes."))
    dispute = dispute_for(staff, dispute_id, lock=True)
    if dispute.status == DisputeStatus.RESOLVED:
        raise Conflict(_l("This dispute is already decided; decisions are never changed."), code="already_resolved")
    _require_open(dispute)
    milestone = locked_get(Milestone, dispute.milestone_id)
    reason = (reason or "").strip()
    check({
        "provider_amount": not 0 <= provider_amount <= milestone.amount
        and _l("From 0 to the milestone amount (%(amount)s).", amount=money(milestone.amount, milestone.currency)),
        "reason": not 3 <= len(reason) <= 5000 and _l("Explain the decision (3 to 5000 characters)."),
    })
    bps = current_app.config["COMMISSION_BPS"]
    cut = ledger.commission_of(provider_amount, bps)
    to_brand = milestone.amount - provider_amount
    card = card_refunds.card_payment_of(milestone)
    brand_account = (ledger.clearing("stripe_clearing", milestone.currency) if card
                     else ledger.wallet(milestone.contract.brand, milestone.currency))
    before = {"status": dispute.status, "milestone_status": milestone.status, "currency": milestone.currency}
    held = escrow.take_escrow(milestone)
    ledger.post(f"resolve:dispute:{dispute.id}", "resolution",
                [(held, -milestone.amount),
                 (ledger.payable(milestone.contract.provider_id, milestone.currency), provider_amount - cut),
                 (ledger.revenue(milestone.currency), cut), (brand_account, to_brand)],
                memo=milestone.title, milestone_id=milestone.id, actor_id=staff.id, reference=f"dispute:{dispute.id}",
                meta={"provider_amount": provider_amount, "commission": cut, "commission_bps": bps, "refund": to_brand})
    if card and to_brand:
        card_refunds.owe_refund(card, f"refund:dispute:{dispute.id}", to_brand)
    escrow.transition(milestone, MilestoneStatus.RESOLVED, staff, note=reason, provider_amount=provider_amount)
    _close(dispute, DisputeStatus.RESOLVED)
    dispute.provider_amount, dispute.decision_reason, dispute.decided_by_id = provider_amount, reason, staff.id
    _record(dispute, staff, "resolved", provider_amount=provider_amount, commission=cut, commission_bps=bps,
            refund=to_brand)
    audit.record(staff, "dispute.decide", "dispute", dispute.id, before=before,
                 after={"status": dispute.status, "milestone_status": milestone.status, "currency": milestone.currency,
                        "provider_amount": provider_amount, "commission": cut, "refund": to_brand},
                 reason=reason, affected_user_id=milestone.contract.provider_id,
                 other_user_id=milestone.contract.brand_id)
    milestone.released_at = utcnow()  # settled: counts for growth with the provider's share
    milestone.released_amount = provider_amount
    platform_invoices.record(milestone)  # the platform's invoice for its commission on the provider's share
    escrow.complete_if_settled(milestone.contract)
    request_recompute(milestone.contract.provider_id)
    notifications.notify([milestone.contract.brand_id, milestone.contract.provider_id], "dispute_resolved",
                         to=_link(dispute), milestone=milestone.title, reason=reason)
    webhooks.dispute_event("dispute.resolved", dispute)
    return dispute


@dataclass(frozen=True)
class Correction:
    """What a correction moves once commission follows the provider's share (signed, minor units)."""

    share_after: int  # the provider's share of the milestone, before commission, after the correction
    provider: int  # its payable
    platform: int  # platform revenue: the commission given back (< 0) or newly charged (> 0)
    brand: int  # the brand's side: its wallet, or its card


def correction(share: int, amount: int, direction: str, bps: int) -> Correction:
    """The commission rule for corrections: the platform's commission is always the commission on the
    provider's current share of the milestone, as if the decision had been that share from the start.
    A correction in the brand's favour gives back the commission on the amount moved (so a full
    correction leaves the provider and the platform with nothing from the milestone, never the provider
    out of pocket); one in the provider's favour is charged commission like a release."""
    after = share - amount if direction == "to_brand" else share + amount
    commission_change = ledger.commission_of(after, bps) - ledger.commission_of(share, bps)
    return Correction(share_after=after, provider=after - share - commission_change, platform=commission_change,
                      brand=share - after)


def provider_share(dispute: Dispute) -> int:
    """The provider's share of the milestone before commission: the decision and every correction since."""
    share = dispute.provider_amount or 0
    for event in dispute.events:
        if event.action == "adjusted":
            share += event.detail["amount"] if event.detail["direction"] == "to_provider" else -event.detail["amount"]
    return share


@dataclass(frozen=True)
class Settlement:
    """Where a decided milestone stands after its corrections, as both parties see it."""

    share: int  # the provider's share before commission
    commission: int
    to_brand: int  # what went back to the brand


def settlement(dispute: Dispute) -> Settlement:
    share = provider_share(dispute)
    return Settlement(share=share, commission=ledger.commission_of(share, commission_bps(dispute)),
                      to_brand=dispute.milestone.amount - share)


def commission_bps(dispute: Dispute) -> int:
    """The rate of the decision (recorded with it), so a correction made after a rate change follows it."""
    decided = next((e for e in dispute.events if e.action == "resolved"), None)
    recorded = (decided.detail or {}).get("commission_bps") if decided else None
    return current_app.config["COMMISSION_BPS"] if recorded is None else recorded


def _require_staff(staff: User | None) -> None:
    if staff is None or not staff.is_admin:
        raise Forbidden(_l("Only platform staff adjust decisions."))


def _require_decided(dispute: Dispute) -> None:
    if dispute.status != DisputeStatus.RESOLVED:
        raise Conflict(_l("Only a decided dispute can be adjusted."), code="not_resolved")


@dataclass(frozen=True)
class _Plan:
    """A correction checked against the dispute's bounds now: what moves, between which accounts."""

    share: int  # the provider's share before it
    moved: Correction
    card: StripePayment | None  # set when money goes back to the brand's card
    payable: LedgerAccount  # the provider's payable
    brand: LedgerAccount  # the brand's wallet, or Stripe clearing for a card
    paying: LedgerAccount  # the account the money leaves
    pays: int


def _plan(dispute: Dispute, amount: int, direction: str) -> _Plan:
    """The bounds of issue 14 (finding 3), checked when a correction is proposed and again, under the
    dispute's lock, when it is applied: the brand gets back at most the provider's share, the provider
    at most the rest of the milestone, a card is refunded at most what it was charged, and the paying
    account must hold the money."""
    milestone = dispute.milestone
    share = provider_share(dispute)
    card = card_refunds.card_payment_of(milestone) if direction == "to_brand" else None
    if card:
        owed = db.session.scalar(select(func.coalesce(func.sum(StripeRefund.amount), 0)).where(
            StripeRefund.payment_intent_id == card.payment_intent_id, StripeRefund.status != RefundStatus.FAILED))
        if owed + amount > card.amount:
            raise Conflict(_l("The card payment cannot be refunded more than it was charged (%(left)s left).",
                              left=money(card.amount - owed, card.currency)), code="refund_exceeds_charge")
    if direction == "to_brand" and amount > share:
        raise Conflict(_l("The brand can get back at most the provider's share of this milestone (%(share)s).",
                          share=money(share, milestone.currency)), code="exceeds_provider_share")
    if direction == "to_provider" and share + amount > milestone.amount:
        raise Conflict(_l("The provider can get at most the rest of this milestone (%(left)s).",
                          left=money(milestone.amount - share, milestone.currency)), code="exceeds_milestone")
    moved = correction(share, amount, direction, commission_bps(dispute))
    payable = ledger.payable(milestone.contract.provider_id, milestone.currency)
    brand = (ledger.clearing("stripe_clearing", milestone.currency) if card
             else ledger.wallet(milestone.contract.brand, milestone.currency))
    paying, pays = (payable, -moved.provider) if direction == "to_brand" else (brand, -moved.brand)
    if ledger.balance(paying) < pays:
        raise Conflict(_l("The paying account does not hold that much."), code="insufficient_funds")
    return _Plan(share=share, moved=moved, card=card, payable=payable, brand=brand, paying=paying, pays=pays)


def _apply(staff: User, dispute: Dispute, fix: DisputeCorrection) -> _Plan:
    """Move the money of `fix` (its dispute locked by the caller): bounds re-checked now, the paying
    account locked, one posting with a unique key, a card refund owed through the outbox."""
    plan = _plan(dispute, fix.amount, fix.direction)
    ledger.lock(plan.paying)
    if ledger.balance(plan.paying) < plan.pays:  # read again under the lock
        raise Conflict(_l("The paying account does not hold that much."), code="insufficient_funds")
    milestone = dispute.milestone
    number = 1 + sum(1 for e in dispute.events if e.action == "adjusted")
    if plan.card:
        card_refunds.owe_refund(plan.card, f"refund:adjustment:{dispute.id}:{number}", fix.amount)
    fix.posting = ledger.post(
        f"adjustment:dispute:{dispute.id}:{number}", "adjustment",
        [(plan.payable, plan.moved.provider), (ledger.revenue(milestone.currency), plan.moved.platform),
         (plan.brand, plan.moved.brand)],
        memo=fix.reason, milestone_id=milestone.id, actor_id=staff.id, reference=f"dispute:{dispute.id}",
        meta={"provider_share": plan.moved.share_after, "commission": plan.moved.platform,
              "proposed_by": fix.proposed_by_id, "approved_by": staff.id})
    transition(fix, CorrectionStatus.APPLIED)
    fix.decided_by_id, fix.decided_at = staff.id, utcnow()
    _record(dispute, staff, "adjusted", amount=fix.amount, direction=fix.direction, reason=fix.reason,
            commission=plan.moved.platform, provider_share=plan.moved.share_after, correction_id=fix.id,
            proposed_by=fix.proposed_by_id)
    return plan


def _paying_party(dispute: Dispute, direction: str) -> int:
    contract = dispute.milestone.contract
    return contract.provider_id if direction == "to_brand" else contract.brand_id


def _audit(staff: User, action: str, fix: DisputeCorrection, *, before: dict | None = None, after: dict,
           reason: str | None) -> None:
    audit.record(staff, action, "dispute", fix.dispute_id, before=before,
                 after={"correction_id": fix.id, "amount": fix.amount, "direction": fix.direction, **after},
                 reason=reason, affected_user_id=_paying_party(fix.dispute, fix.direction))


def approval_threshold() -> int:
    """Corrections above this many minor units wait for a second staff member (CORRECTION_APPROVAL_THRESHOLD)."""
    return current_app.config["CORRECTION_APPROVAL_THRESHOLD"]


def adjust(staff: User, dispute_id: int, amount: int, direction: str, reason: str) -> DisputeCorrection:
    """A correction after a decision: move part of the milestone between the provider and the brand —
    its wallet, or, when the milestone was paid by card, back to the card as a Stripe refund (a card
    brand's wallet pays for nothing) — as a new, separately recorded posting (the decision stays).
    Commission follows the provider's share (`correction`); the share stays between 0 and the milestone.

    Four eyes: a correction at or below `approval_threshold()` is applied at once (its proposer is its
    approver); a larger one is only proposed — checked against the bounds now, but no money moves
    until a different staff member approves it (`approve_correction`). While a proposal waits, the
    dispute takes no other correction, so the one waiting is judged on the share staff saw."""
    _require_staff(staff)
    dispute = dispute_for(staff, dispute_id, lock=True)
    _require_decided(dispute)
    reason = (reason or "").strip()
    check({"amount": not 0 < amount <= 10**13 and _l("Enter a positive amount."),
           "direction": direction not in CORRECTION_DIRECTIONS and _l("Choose who receives the money."),
           "reason": not 3 <= len(reason) <= 5000 and _l("Explain the correction (3 to 5000 characters).")})
    if any(c.is_pending for c in dispute.corrections):
        raise Conflict(_l("A correction of this dispute is waiting for approval: approve or reject it first."),
                       code="correction_pending")
    fix = DisputeCorrection(amount=amount, direction=direction, reason=reason, proposed_by_id=staff.id,
                            proposed_at=utcnow(), status=CorrectionStatus.PENDING.value)
    waits = amount > approval_threshold()
    proposed = _plan(dispute, amount, direction) if waits else None  # an impossible proposal is refused now
    dispute.corrections.append(fix)
    db.session.flush()  # its id, for the records; the partial unique index backs the one-pending rule
    if proposed is not None:
        _audit(staff, "dispute.correction_propose", fix, before={"provider_share": proposed.share},
               after={"status": fix.status, "provider_share": proposed.moved.share_after}, reason=reason)
        return fix
    plan = _apply(staff, dispute, fix)
    _audit(staff, "dispute.correct", fix, before={"provider_share": plan.share},
           after={"status": fix.status, "provider_share": plan.moved.share_after, "posting": fix.posting.key},
           reason=reason)
    return fix


def _pending_correction(staff: User, dispute_id: int, correction_id: int) -> DisputeCorrection:
    """The dispute locked (so two staff deciding at once go one after the other) and its correction,
    read fresh under that lock; another dispute's correction is 404; a decided one is 409."""
    _require_staff(staff)
    dispute = dispute_for(staff, dispute_id, lock=True)
    fix = locked_get(DisputeCorrection, correction_id)
    if fix is None or fix.dispute_id != dispute.id:
        raise NotFound()
    if not fix.is_pending:
        raise Conflict(_l("This correction was already approved or rejected."), code="correction_decided")
    return fix


def approve_correction(staff: User, dispute_id: int, correction_id: int) -> DisputeCorrection:
    """A second staff member applies a proposed correction, exactly as a small one is applied at once;
    the bounds are checked again now, against the dispute as it stands."""
    fix = _pending_correction(staff, dispute_id, correction_id)
    if fix.proposed_by_id == staff.id:
        raise Forbidden(_l("A different staff member must approve a correction you proposed."),
                        code="own_correction")
    applied = _apply(staff, fix.dispute, fix)
    _audit(staff, "dispute.correction_approve", fix,
           before={"status": CorrectionStatus.PENDING.value, "provider_share": applied.share},
           after={"status": fix.status, "provider_share": applied.moved.share_after, "posting": fix.posting.key,
                  "proposed_by": fix.proposed_by_id}, reason=fix.reason)
    return fix


def reject_correction(staff: User, dispute_id: int, correction_id: int, reason: str) -> DisputeCorrection:
    """Staff refuse a proposed correction, with a reason; nothing moves. Its proposer may reject it too
    (withdrawing a mistake needs no second pair of eyes: no money moves)."""
    fix = _pending_correction(staff, dispute_id, correction_id)
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 5000 and _l("Explain the rejection (3 to 5000 characters).")})
    transition(fix, CorrectionStatus.REJECTED)
    fix.decided_by_id, fix.decided_at, fix.decision_reason = staff.id, utcnow(), reason
    _audit(staff, "dispute.correction_reject", fix, before={"status": CorrectionStatus.PENDING.value},
           after={"status": fix.status, "proposed_by": fix.proposed_by_id}, reason=reason)
    return fix


def correction_actions(fix: DisputeCorrection, user: User | None) -> frozenset[str]:
    """What `user` may do with a correction: staff approve ("approve") one that waits unless they
    proposed it, and reject ("reject") one that waits."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_admin or not fix.is_pending:
        return frozenset()
    return frozenset({"reject"} if fix.proposed_by_id == user.id else {"approve", "reject"})


def corrections_seen_by(dispute: Dispute, viewer: User) -> list[DisputeCorrection]:
    """Staff see every correction (waiting, applied, rejected); the parties see those applied."""
    return [c for c in dispute.corrections if viewer.is_admin or c.is_applied]


def pending_corrections(*, page: int = 1, per_page: int = 20) -> Page:
    """Staff: corrections waiting for a second staff member, oldest first."""
    stmt = select(DisputeCorrection).where(DisputeCorrection.status == CorrectionStatus.PENDING)
    return paginate(stmt.order_by(DisputeCorrection.proposed_at, DisputeCorrection.id), page, per_page)


# --- staff queue and records ------------------------------------------------------------------------

@dataclass
class ResponseState:
    brand: str  # "responded", "waiting" or "not_responding"
    provider: str


def response_state(dispute: Dispute) -> ResponseState:
    contract = dispute.milestone.contract
    authors = {e.author_id for e in dispute.evidence}
    late = utcnow() > dispute.response_deadline

    def state(user_id: int) -> str:
        if user_id in authors:
            return "responded"
        return "not_responding" if late else "waiting"

    return ResponseState(brand=state(contract.brand_id), provider=state(contract.provider_id))


def queue(*, status: str = DisputeStatus.OPEN, reason: str | None = None, overdue: bool = False, page: int = 1,
          per_page: int = 20) -> Page:
    """Disputes for staff, oldest first; `overdue` keeps those whose response deadline has passed."""
    # the queue shows each dispute's milestone, parties and who has answered: loaded with the page
    stmt = select(Dispute).where(Dispute.status == status).options(
        selectinload(Dispute.evidence),
        joinedload(Dispute.milestone).joinedload(Milestone.contract).options(
            joinedload(Contract.brand), joinedload(Contract.provider)))
    if reason:
        stmt = stmt.where(Dispute.reason == reason)
    if overdue:
        stmt = stmt.where(Dispute.response_deadline < utcnow())
    return paginate(stmt.order_by(Dispute.opened_at, Dispute.id), page, per_page)


def record_of(provider_id: int) -> dict:
    """A provider's dispute record for ratings: disputes on its milestones and how they ended.
    Lost = decided with provider_amount below half the milestone."""
    lost = and_(Dispute.status == DisputeStatus.RESOLVED, Dispute.provider_amount * 2 < Milestone.amount)
    row = db.session.execute(
        select(func.count(Dispute.id),
               func.coalesce(func.sum(case((Dispute.status == DisputeStatus.RESOLVED, 1), else_=0)), 0),
               func.coalesce(func.sum(case((lost, 1), else_=0)), 0),
               func.coalesce(func.sum(case((Dispute.status == DisputeStatus.WITHDRAWN, 1), else_=0)), 0))
        .join(Milestone, Milestone.id == Dispute.milestone_id).join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.provider_id == provider_id)).one()
    return {"disputes": row[0], "decided": int(row[1]), "lost": int(row[2]), "withdrawn": int(row[3])}

