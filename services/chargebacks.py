"""Chargebacks: a card holder's bank takes a milestone's card payment back (Stripe calls it a "dispute";
here it is a chargeback everywhere, so it is never confused with services.disputes between brand and
provider).

Stripe's signed `charge.dispute.*` webhooks drive it; every handler is idempotent and order-free:
- the first event seen for a dispute (whatever its type) opens the staff case, and, by LOSS_RULES, a
  milestone still in escrow is frozen (`charged_back`) and its escrow covers the chargeback;
- the money follows the dispute's own balance transactions, whichever event carries them: the withdrawal
  (amount + Stripe's fee) and a reinstatement each post once, under `chargeback:<du>:withdrawn` and
  `chargeback:<du>:reinstated` (Stripe clearing ↔ the `chargebacks` account, reference = the dispute id);
- a final status (won, lost, inquiry closed) settles the case: a won escrow case refills the escrow and
  puts the milestone back; whatever the `chargebacks` account still holds for the case is then borne by
  the platform, except a provider's capped recovery (see LOSS_RULES), which later payouts repay;
- an event id seen before, or older news than the case already has, changes nothing.
A charge Witkey does not know is recorded as a case for finance all the same (200 to Stripe).

Posting keys for dispute <du>: withdrawn, reinstated, cover, restore, loss:<n> (the platform bears the
rest, or claims a recovery decided after the close), recovery:batch:<id> (one per payout batch).
"""
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import (
    Chargeback,
    ChargebackEvent,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Milestone,
    StripePayment,
    User,
)
from models.chargeback import FINAL, ChargebackStatus, LossBearer
from models.contract import FINISHED, HELD, MilestoneStatus
from models.status import transition
from models.stripe import PaymentStatus
from models.types import utcnow
from services import audit, destinations, escrow, ledger, notifications, payouts, stripe_gateway
from services.errors import Conflict, NotFound, check
from services.locking import locked_get, serialize
from services.pagination import Page, paginate

# A provider found at fault repays at most this share of each later payout (basis points), and never
# more than it received for the milestone, nor more than was charged back.
RECOVERY_SHARE_BPS = 5000
WON = (ChargebackStatus.WON, ChargebackStatus.WARNING_CLOSED, ChargebackStatus.PREVENTED)  # money stays ours


@dataclass(frozen=True)
class LossRule:
    """One row of the written rule: where the milestone's money was, what staff decided, who bears it."""

    position: str  # "escrowed", "released", "unknown"
    decision: str  # "", "provider_at_fault"
    bearer: LossBearer
    text: object  # what the README, the staff case and the provider's page say


LOSS_RULES = (
    LossRule("escrowed", "", LossBearer.ESCROW, _l(
        "The milestone was still in escrow: the escrowed money covers the chargeback, and the milestone is frozen "
        "(it can be neither released nor disputed) until the bank decides. Won: the escrow is refilled and the "
        "milestone goes back to where it was. Lost: the milestone is settled with nothing paid to the provider; "
        "the brand has its money back through its bank. Stripe's fee is borne by the platform.")),
    LossRule("released", "", LossBearer.PLATFORM, _l(
        "The milestone was already released: the platform bears the chargeback and Stripe's fee. The provider's "
        "payouts are not touched.")),
    LossRule("released", "provider_at_fault", LossBearer.PROVIDER, _l(
        "The milestone was already released and staff found, from the chargeback's evidence, that the provider "
        "did not deliver: the platform recovers from the provider's later payouts at most what the provider "
        "received for the milestone (and never more than was charged back), and at most %(share)s of each "
        "payout. The provider is told, and sees the recovery, its reason and what is left on its payouts page. "
        "A chargeback won cancels the recovery. Stripe's fee is borne by the platform.",
        share=f"{RECOVERY_SHARE_BPS // 100}%")),
    LossRule("unknown", "", LossBearer.UNKNOWN, _l(
        "A charge Witkey did not make or cannot match to a milestone: recorded for finance, nobody is charged.")),
)


def rule_for(bearer: str) -> LossRule:
    return next(rule for rule in LOSS_RULES if rule.bearer == bearer)


def _key(case: Chargeback, what: str) -> str:
    return f"chargeback:{case.stripe_dispute_id}:{what}"


def _record(case: Chargeback, kind: str, actor: User | None = None, stripe_event_id: str | None = None,
            **detail) -> None:
    case.events.append(ChargebackEvent(kind=kind[:40], actor_id=actor.id if actor else None,
                                       stripe_event_id=stripe_event_id, detail=detail))


def _at(timestamp) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if isinstance(timestamp, int | float) else None


# --- Stripe's webhooks ----------------------------------------------------------------------------

def handle_event(event) -> str:
    """Apply one verified `charge.dispute.*` event; returns what happened (for the log and the tests)."""
    event = event.to_dict() if hasattr(event, "to_dict") else event
    obj = event["data"]["object"]
    # Two events of one new dispute delivered at once (Stripe sends them in parallel) take turns, so the
    # second finds the case the first opened rather than failing on the unique dispute id.
    serialize(Chargeback, zlib.crc32(obj["id"].encode()))
    if db.session.scalar(select(ChargebackEvent.id).where(ChargebackEvent.stripe_event_id == event["id"])):
        return "duplicate"
    case, opened = _case_for(obj)
    _record(case, event["type"], stripe_event_id=event["id"], status=obj["status"], amount=obj["amount"])
    _refresh(case, obj, _at(event.get("created")) or utcnow())
    _sync_funds(case, obj)
    if case.is_final:
        _settle(case)
    db.session.flush()
    return "opened" if opened else event["type"].removeprefix("charge.dispute.")


def _case_for(obj: dict) -> tuple[Chargeback, bool]:
    """The dispute's case, locked; opened now (with its rule applied) if it is new."""
    found = db.session.scalar(select(Chargeback.id).where(Chargeback.stripe_dispute_id == obj["id"]))
    if found is not None:
        return locked_get(Chargeback, found), False
    payment = obj.get("payment_intent") and db.session.scalar(
        select(StripePayment).where(StripePayment.payment_intent_id == obj["payment_intent"]))
    milestone = locked_get(Milestone, payment.milestone_id) if payment else None
    if milestone is None:
        bearer = LossBearer.UNKNOWN
    elif payment.status == PaymentStatus.SUCCEEDED and milestone.status in HELD:
        bearer = LossBearer.ESCROW
    else:
        bearer = LossBearer.PLATFORM
    status = obj["status"] if obj["status"] in set(ChargebackStatus) else ChargebackStatus.NEEDS_RESPONSE.value
    case = Chargeback(stripe_dispute_id=obj["id"], charge_id=obj["charge"], payment_intent_id=obj.get("payment_intent"),
                      milestone_id=milestone and milestone.id, contract_id=milestone and milestone.contract_id,
                      amount=obj["amount"], fee=0, currency=obj["currency"].upper(), reason=str(obj.get("reason"))[:40],
                      status=status, evidence={}, loss_bearer=bearer.value,
                      evidence_due_by=_at((obj.get("evidence_details") or {}).get("due_by")))
    db.session.add(case)
    db.session.flush()
    if bearer == LossBearer.ESCROW:
        _cover_from_escrow(case, milestone)
    staff = db.session.scalars(select(User.id).where(User.role == "admin")).all()
    notifications.notify(staff, "chargeback_opened", to=destinations.chargeback(case.id),
                         amount=case.amount, currency=case.currency,
                         milestone=milestone.title if milestone else case.charge_id)
    if bearer == LossBearer.UNKNOWN:
        current_app.logger.error("chargeback %s on charge %s that Witkey does not know", obj["id"], obj["charge"])
    return case, True


def _cover_from_escrow(case: Chargeback, milestone: Milestone) -> None:
    """The escrow covers the chargeback and the milestone is frozen, in one step."""
    held = ledger.escrow(milestone)
    ledger.lock(held)
    cover = min(case.amount, ledger.balance(held))
    if cover > 0:
        ledger.post(_key(case, "cover"), "chargeback_cover",
                    [(held, -cover), (chargebacks_account(case.currency), cover)],
                    memo=milestone.title, milestone_id=milestone.id, meta={"chargeback_id": case.id})
    case.milestone_status_before = milestone.status
    escrow.transition(milestone, MilestoneStatus.CHARGED_BACK, None, chargeback=case.stripe_dispute_id)
    notifications.notify([milestone.contract.provider_id], "milestone_charged_back",
                         to=destinations.milestone(milestone.contract_id, milestone.id), milestone=milestone.title)


def _refresh(case: Chargeback, obj: dict, at: datetime) -> None:
    """Status, amount, reason and deadline from the dispute as this event shows it, unless the case is
    already final or has newer news (events arrive in any order)."""
    if case.is_final or (case.stripe_updated_at is not None and at < case.stripe_updated_at
                         and obj["status"] not in FINAL):
        return
    if obj["status"] in set(ChargebackStatus) and obj["status"] != case.status:
        transition(case, obj["status"])
    elif obj["status"] not in set(ChargebackStatus):
        current_app.logger.warning("chargeback %s: unknown Stripe status %s", case.stripe_dispute_id, obj["status"])
    case.amount, case.reason = obj["amount"], str(obj.get("reason"))[:40]
    due = _at((obj.get("evidence_details") or {}).get("due_by"))
    case.evidence_due_by = due or case.evidence_due_by
    case.stripe_updated_at = max(at, case.stripe_updated_at or at)


def chargebacks_account(currency: str) -> LedgerAccount:
    return ledger.account("chargebacks", currency)


def _sync_funds(case: Chargeback, obj: dict) -> None:
    """Post the withdrawal and the reinstatement the dispute's balance transactions show, once each."""
    for txn in obj.get("balance_transactions") or []:
        net = int(txn.get("net", txn["amount"] - txn.get("fee", 0)))
        what = "withdrawn" if net < 0 else "reinstated" if net > 0 else None
        if what is None or ledger.is_posted(_key(case, what)):
            continue
        currency = str(txn.get("currency") or case.currency).upper()
        if what == "withdrawn":
            case.fee = int(txn.get("fee", 0))
        ledger.post(_key(case, what), f"chargeback_{what}",
                    [(ledger.clearing("stripe_clearing", currency), -net), (chargebacks_account(currency), net)],
                    memo=f"{case.reason} {case.charge_id}", milestone_id=case.milestone_id,
                    reference=case.stripe_dispute_id,
                    meta={"chargeback_id": case.id, "balance_transaction": txn.get("id"),
                          "amount": txn["amount"], "fee": txn.get("fee", 0)})


def _settle(case: Chargeback) -> None:
    """Stripe's decision is in: refill the escrow of a won escrow case, settle a lost one, then leave on
    the `chargebacks` account exactly the provider's outstanding recovery (the platform bears the rest).
    Safe to call again (another event after the close): it only posts what is missing."""
    if case.closed_at is None:
        case.closed_at = utcnow()
        _record(case, "closed", outcome=case.status)
    milestone = locked_get(Milestone, case.milestone_id) if case.milestone_id else None
    if case.loss_bearer == LossBearer.ESCROW and milestone is not None \
            and milestone.status == MilestoneStatus.CHARGED_BACK:
        if case.status in WON:
            covered = _posted_amount(_key(case, "cover"), "chargebacks")
            if covered:
                ledger.post(_key(case, "restore"), "chargeback_restore",
                            [(chargebacks_account(case.currency), -covered), (ledger.escrow(milestone), covered)],
                            memo=milestone.title, milestone_id=milestone.id, meta={"chargeback_id": case.id})
            escrow.restore_after_chargeback(milestone, case.milestone_status_before, case.stripe_dispute_id)
        else:
            escrow.transition(milestone, MilestoneStatus.RESOLVED, None, chargeback=case.stripe_dispute_id)
            escrow.complete_if_settled(milestone.contract)
    if case.loss_bearer == LossBearer.PROVIDER and case.status in WON and milestone is not None:
        notifications.notify([milestone.contract.provider_id], "chargeback_recovery_cancelled",
                             to=destinations.PAYOUTS, milestone=milestone.title)
    _absorb(case)


def _posted_amount(key: str, kind: str) -> int:
    """What posting `key` moved on its account of `kind` (0 if there is no such posting)."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).join(LedgerPosting).join(LedgerAccount)
        .where(LedgerPosting.key == key, LedgerAccount.kind == kind)))


def _case_balance(case: Chargeback) -> int:
    """What the case's postings leave on the `chargebacks` account (negative: money still missing)."""
    prefix = _key(case, "")
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).join(LedgerPosting).join(LedgerAccount)
        .where(LedgerPosting.key.startswith(prefix, autoescape=True), LedgerAccount.kind == "chargebacks")))


def _recoverable(case: Chargeback) -> int:
    """The provider's recovery still to be repaid (0 unless the provider bears a lost chargeback)."""
    if case.loss_bearer != LossBearer.PROVIDER or case.status != ChargebackStatus.LOST:
        return 0
    return max((case.recovery_cap or 0) - recovered(case), 0)


def _absorb(case: Chargeback) -> None:
    """Once final: the platform bears what the case still misses on the `chargebacks` account, except the
    provider's outstanding recovery (a negative amount here claims back a recovery decided after close)."""
    missing = -_case_balance(case) - _recoverable(case)
    if missing == 0:
        return
    number = 1 + db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                   .where(LedgerPosting.key.startswith(_key(case, "loss:"), autoescape=True)))
    ledger.post(_key(case, f"loss:{number}"), "chargeback_loss" if missing > 0 else "chargeback_claim",
                [(ledger.revenue(case.currency), -missing), (chargebacks_account(case.currency), missing)],
                memo=case.reason, milestone_id=case.milestone_id, meta={"chargeback_id": case.id})


# --- staff: the case, the evidence, the decision --------------------------------------------------

def _staff_only(viewer: User | None) -> None:
    if viewer is None or not viewer.is_admin:
        raise NotFound()  # the case exists only for staff: anyone else is told there is nothing here


def chargeback_for(viewer: User | None, chargeback_id: int, *, lock: bool = False) -> Chargeback:
    _staff_only(viewer)
    case = locked_get(Chargeback, chargeback_id) if lock else db.session.get(Chargeback, chargeback_id)
    if case is None:
        raise NotFound()
    return case


def queue(viewer: User, *, open_only: bool = True, page: int = 1, per_page: int = 20) -> Page:
    _staff_only(viewer)
    stmt = select(Chargeback)
    if open_only:
        stmt = stmt.where(Chargeback.closed_at.is_(None))
    return paginate(stmt.order_by(Chargeback.evidence_due_by.asc(), Chargeback.id), page, per_page)


# The evidence text fields staff may edit and send (Stripe's names); files are named in the text.
EVIDENCE_FIELDS = ("product_description", "customer_name", "customer_email_address", "service_date",
                   "access_activity_log", "uncategorized_text")
EVIDENCE_FIELD_LIMIT = 20000  # characters per field (Stripe allows 150,000 over all text fields)


@dataclass(frozen=True)
class EvidencePack:
    """What the contract shows about the work: the staff page lists it, and the drafted fields quote it."""

    milestone: Milestone | None
    deliveries: list
    events: list
    accepted_at: datetime | None
    accepted_by_brand: bool
    fields: dict


def evidence_pack(case: Chargeback) -> EvidencePack:
    milestone = case.milestone
    if milestone is None:
        return EvidencePack(None, [], [], None, False, {name: case.evidence.get(name, "") for name in EVIDENCE_FIELDS})
    contract = milestone.contract
    release = next((e for e in reversed(milestone.events) if e.kind == MilestoneStatus.RELEASED), None)
    accepted_by_brand = release is not None and release.actor_id == contract.brand_id
    brand_name = (contract.brand.brand_profile.store_name if contract.brand.brand_profile else "") \
        or contract.brand.display_name
    lines = [f"{e.created_at:%Y-%m-%d %H:%M} UTC {e.kind}"
             + (f" by {e.actor.display_name}" if e.actor else "") + (f": {e.note}" if e.note else "")
             for e in milestone.events]
    deliveries = [f"Delivery {d.version} ({d.created_at:%Y-%m-%d %H:%M} UTC): {d.note}"
                  + "".join(f"\n  file: {f.filename} ({f.size} bytes, sha256 {f.sha256})" for f in d.files)
                  + "".join(f"\n  link: {link}" for link in d.links) for d in milestone.deliveries]
    acceptance = (f"Accepted and released on {milestone.released_at:%Y-%m-%d %H:%M} UTC"
                  + (" by the brand." if accepted_by_brand else " (automatically, after the review period).")
                  if milestone.released_at else "Not released: the money was still in escrow.")
    drafted = {
        "product_description": f"{contract.title} — milestone {milestone.position + 1}: {milestone.title}. "
                               f"Service contract {contract.id} between {brand_name} and "
                               f"{contract.provider.display_name} on the Witkey marketplace.",
        "customer_name": brand_name,
        "customer_email_address": contract.brand.email,
        "service_date": f"{milestone.released_at or milestone.delivered_at or milestone.funded_at:%Y-%m-%d}"
        if (milestone.released_at or milestone.delivered_at or milestone.funded_at) else "",
        "access_activity_log": "\n".join(lines),
        "uncategorized_text": "\n\n".join([*deliveries, acceptance]),
    }
    fields = {name: case.evidence.get(name, drafted[name]) for name in EVIDENCE_FIELDS}
    return EvidencePack(milestone, list(milestone.deliveries), list(milestone.events),
                        milestone.released_at, accepted_by_brand, fields)


def save_evidence(staff: User, chargeback_id: int, fields: dict, *, submit: bool) -> Chargeback:
    """Send the evidence to Stripe (and, with `submit`, to the bank: final). Audited with what was sent."""
    case = chargeback_for(staff, chargeback_id, lock=True)
    if case.evidence_submitted_at is not None or case.is_final:
        raise Conflict(_l("The evidence was already submitted to the bank; it can no longer change."),
                       code="evidence_submitted")
    if case.loss_bearer == LossBearer.UNKNOWN:
        raise Conflict(_l("This charge is not one of Witkey's: finance answers it at Stripe."), code="unknown_charge")
    values = {name: str(fields.get(name) or "").strip() for name in EVIDENCE_FIELDS}
    check({name: len(value) > EVIDENCE_FIELD_LIMIT and _l("At most %(n)s characters.", n=EVIDENCE_FIELD_LIMIT)
           for name, value in values.items()})
    check({"uncategorized_text": not any(values.values()) and _l("Give at least one piece of evidence.")})
    sent = {name: value for name, value in values.items() if value}
    try:
        answer = stripe_gateway.update_dispute(case.stripe_dispute_id, evidence=sent, submit=submit,
                                               chargeback_id=case.id)
    except stripe.StripeError as exc:
        raise Conflict(_l("Stripe refused the evidence: %(why)s", why=exc.user_message or str(exc)),
                       code="stripe_refused") from None
    before = {"status": case.status, "evidence_submitted": False, **_evidence(case)}
    if answer.status in set(ChargebackStatus) and answer.status != case.status:  # under review, as Stripe says
        transition(case, answer.status)
    case.evidence = values
    if submit:
        case.evidence_submitted_at = utcnow()
    _record(case, "evidence_submitted" if submit else "evidence_saved", staff, fields=sent)
    audit.record(staff, "chargeback.submit_evidence" if submit else "chargeback.save_evidence", "chargeback", case.id,
                 before=before, after={"status": case.status, "evidence_submitted": submit, **_evidence(case)},
                 affected_user_id=_provider_of(case), other_user_id=_brand_of(case))
    return case


def _evidence(case: Chargeback) -> dict:
    """The evidence text fields as saved on the case (empty ones as None), for the audit log."""
    return {name: (case.evidence or {}).get(name) or None for name in EVIDENCE_FIELDS}


def _provider_of(case: Chargeback) -> int | None:
    return case.contract.provider_id if case.contract else None


def _brand_of(case: Chargeback) -> int | None:
    return case.contract.brand_id if case.contract else None


def provider_net(milestone: Milestone) -> int:
    """What the provider received for the milestone: its payable's credits from the release or decision."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).join(LedgerPosting).join(LedgerAccount)
        .where(LedgerPosting.milestone_id == milestone.id, LedgerPosting.kind.in_(("release", "resolution")),
               LedgerAccount.kind == "provider_payable", LedgerAccount.user_id == milestone.contract.provider_id)))


def recovery_cap(case: Chargeback) -> int:
    return min(case.amount, provider_net(case.milestone)) if case.milestone else 0


def can_charge_provider(case: Chargeback) -> bool:
    return (case.loss_bearer == LossBearer.PLATFORM and case.milestone is not None
            and case.milestone.status in FINISHED and case.status not in WON and recovery_cap(case) > 0)


def charge_provider(staff: User, chargeback_id: int, reason: str) -> Chargeback:
    """Staff find the provider at fault (the chargeback shows it did not deliver): a capped recovery from its
    later payouts, collected only once the chargeback is lost. Decided once, audited, told to the provider."""
    case = chargeback_for(staff, chargeback_id, lock=True)
    reason = (reason or "").strip()
    check({"reason": not 10 <= len(reason) <= 2000
           and _l("Say what shows the provider at fault (10 to 2000 characters): the provider reads it.")})
    if case.loss_bearer == LossBearer.PROVIDER:
        raise Conflict(_l("The provider already bears this chargeback; decisions are never changed."),
                       code="already_decided")
    if not can_charge_provider(case):
        raise Conflict(_l("Only a released milestone's chargeback that is not won can be recovered from its "
                          "provider, and only up to what the provider received for it."), code="not_recoverable")
    milestone = case.milestone
    before = {"loss_bearer": case.loss_bearer, "recovery_cap": case.recovery_cap, "currency": case.currency}
    case.loss_bearer, case.recovery_cap, case.recovery_reason = LossBearer.PROVIDER.value, recovery_cap(case), reason
    case.decided_by_id, case.decided_at = staff.id, utcnow()
    _record(case, "provider_at_fault", staff, reason=reason, recovery_cap=case.recovery_cap)
    audit.record(staff, "chargeback.provider_at_fault", "chargeback", case.id, before=before,
                 after={"loss_bearer": case.loss_bearer, "recovery_cap": case.recovery_cap, "currency": case.currency},
                 reason=reason, affected_user_id=_provider_of(case), other_user_id=_brand_of(case))
    notifications.notify([milestone.contract.provider_id], "chargeback_recovery", to=destinations.PAYOUTS,
                         milestone=milestone.title, amount=case.recovery_cap, currency=case.currency, reason=reason,
                         share=RECOVERY_SHARE_BPS // 100)
    if case.is_final:
        _absorb(case)  # the platform had borne it all at the close: the recovery is claimed back from that
    return case


# --- recovery from payouts --------------------------------------------------------------------------

def recovered(case: Chargeback) -> int:
    return max(_case_balance_of_kind(case, "chargeback_recovery"), 0)


def _case_balance_of_kind(case: Chargeback, kind: str) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).join(LedgerPosting).join(LedgerAccount)
        .where(LedgerPosting.key.startswith(_key(case, ""), autoescape=True), LedgerPosting.kind == kind,
               LedgerAccount.kind == "chargebacks")))


def _active_recoveries(provider_ids=None) -> list[Chargeback]:
    stmt = (select(Chargeback).where(Chargeback.loss_bearer == LossBearer.PROVIDER,
                                     Chargeback.status == ChargebackStatus.LOST).order_by(Chargeback.id))
    return [case for case in db.session.scalars(stmt)
            if (provider_ids is None or case.contract.provider_id in provider_ids) and _recoverable(case) > 0]


def take_recoveries(batch, lo: int, hi: int) -> int:
    """Before a chunk's payouts are made (same transaction, payables locked): deduct each outstanding
    recovery from what the provider is about to be paid, at most RECOVERY_SHARE_BPS of it and never so much
    that the payout falls under the batch's minimum, posted once per batch and case
    (`chargeback:<du>:recovery:batch:<id>`, provider payable → chargebacks). Returns the postings made."""
    cases = _active_recoveries()
    if not cases:
        return 0
    due = payouts.due_in_chunk(batch, lo, hi, {case.contract.provider_id for case in cases})
    made = 0
    for (provider_id, currency), amount in due.items():
        allowance = min(amount * RECOVERY_SHARE_BPS // 10000, amount - batch.min_amount)
        for case in cases:
            if allowance <= 0:
                break
            if (case.contract.provider_id, case.currency) != (provider_id, currency):
                continue
            key = _key(case, f"recovery:batch:{batch.id}")
            if ledger.is_posted(key):
                continue
            take = min(_recoverable(case), allowance)
            ledger.post(key, "chargeback_recovery",
                        [(ledger.payable(provider_id, currency), -take), (chargebacks_account(currency), take)],
                        memo=case.recovery_reason or "", milestone_id=case.milestone_id, reference=f"batch:{batch.id}",
                        meta={"chargeback_id": case.id, "batch_id": batch.id})
            allowance -= take
            made += 1
    return made


@dataclass(frozen=True)
class Recovery:
    """A recovery as its provider sees it."""

    case: Chargeback
    milestone_title: str
    cap: int
    recovered: int
    state: str  # "pending" (the bank has not decided), "active", "done", "cancelled" (chargeback won)

    @property
    def remaining(self) -> int:
        return max(self.cap - self.recovered, 0) if self.state == "active" else 0


def recoveries_for(provider: User) -> list[Recovery]:
    """Every chargeback a provider bears, with its reason and what is left (its payouts page)."""
    stmt = (select(Chargeback).join(Milestone, Milestone.id == Chargeback.milestone_id)
            .where(Chargeback.loss_bearer == LossBearer.PROVIDER,
                   Chargeback.contract.has(provider_id=provider.account_id))
            .order_by(Chargeback.id.desc()))
    out = []
    for case in db.session.scalars(stmt):
        got = recovered(case)
        state = ("cancelled" if case.status in WON else "pending" if not case.is_final
                 else "done" if got >= (case.recovery_cap or 0) else "active")
        out.append(Recovery(case, case.milestone.title, case.recovery_cap or 0, got, state))
    return out

