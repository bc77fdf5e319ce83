"""Two ways money reaches escrow, behind one interface: the platform's own ledger (a brand's bank
transfer recorded by finance) or Stripe (a card payment confirmed by a signed webhook)."""
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import LedgerPosting, Milestone, User
from models.catalog import CURRENCIES
from models.contract import MilestoneStatus
from services import audit, destinations, escrow, ledger, notifications, organisations
from services.accounts import require_verified_email
from services.errors import Conflict, check
from services.escrow import FundResult, fund_from_wallet
from services.stripe_funding import StripeBackend


class LedgerBackend:
    name = "ledger"

    def fund(self, actor, milestone) -> FundResult:
        return fund_from_wallet(actor, milestone)

    def abandon(self, milestone) -> None:
        """Nothing is pending on the ledger backend when a milestone is cancelled."""


def backend():
    """The backend this installation funds through (Stripe when STRIPE_SECRET_KEY is set)."""
    if current_app.config.get("STRIPE_SECRET_KEY"):
        return StripeBackend()
    return LedgerBackend()


# A brand funds a milestone, or drops one it has not funded, through the backend in use (escrow keeps
# the milestone's states; the backends decide how money arrives).
def fund(actor: User, milestone_id: int, via: LedgerBackend | StripeBackend | None = None) -> FundResult:
    """`via` names a backend explicitly: the demo seed funds from wallets whatever the installation
    uses, because its rows are written in one transaction that can still roll back, and the Stripe
    backend makes a call (a PaymentIntent under an idempotency key) that no rollback takes back."""
    milestone = escrow.as_brand(actor, milestone_id, "milestone.fund")
    require_verified_email(actor)
    if milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_l("This milestone is already funded or closed."), code="illegal_transition")
    if milestone.contract.provider.is_suspended:  # it could not deliver: the money would only wait in escrow
        raise Conflict(_l("The provider's account is suspended: no milestone of this contract can be funded "
                          "until the suspension is lifted."), code="provider_suspended")
    if organisations.hold_for_second_member(actor, milestone):
        return FundResult(status=organisations.AWAITING_CONFIRMATION)
    return (via or backend()).fund(actor, milestone)


def collect_card(actor: User, milestone_id: int) -> FundResult:
    """Stripe backend, after `fund` was committed: the PaymentIntent for the open card attempt (made
    now at Stripe if it has none yet), with the client secret Stripe.js confirms the card with."""
    milestone = escrow.as_brand(actor, milestone_id, "milestone.fund")
    if milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_l("This milestone is already funded or closed."), code="illegal_transition")
    return StripeBackend().collect_card(milestone)


def cancel(actor: User, milestone_id: int) -> Milestone:
    """A brand may drop a milestone it has not funded; no money has moved, so none moves back."""
    milestone = escrow.as_brand(actor, milestone_id, "milestone.fund")
    if milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_l("Only a milestone that is not funded yet can be cancelled."), code="illegal_transition")
    escrow.transition(milestone, MilestoneStatus.CANCELLED, actor)
    backend().abandon(milestone)  # an open card payment is cancelled (or refunded if it lands anyway)
    notifications.notify([milestone.contract.provider_id], "milestone_cancelled",
                         to=destinations.milestone(milestone.contract_id, milestone.id),
                         milestone=milestone.title)
    escrow.complete_if_settled(milestone.contract)
    return milestone


def normalise_reference(reference: str | None) -> str:
    """A bank reference as the bank means it: full-width characters as ASCII (NFKC), one case, and no
    spaces or separators, so `DUP-ab12`, `dup ab12` and `ＤＵＰ＿ＡＢ１２` are one transfer."""
    text = unicodedata.normalize("NFKC", reference or "").casefold()
    return "".join(ch for ch in text if ch.isalnum()).upper()


def deposit_key(currency: str, reference: str) -> str:
    """The posting key of a bank transfer: the database refuses a second posting with it."""
    return f"deposit:{currency}:{normalise_reference(reference)}"


def _deposit_recorded(currency: str, normalised: str) -> bool:
    """The normalised key, or a key written before references were normalised (kept as it was:
    posting keys are never rewritten) that names the same transfer once normalised here."""
    if ledger.is_posted(f"deposit:{currency}:{normalised}"):
        return True
    prefix = f"deposit:{currency}:"
    keys = db.session.scalars(select(LedgerPosting.key).where(LedgerPosting.kind == "deposit",
                                                              LedgerPosting.key.startswith(prefix, autoescape=True)))
    return any(normalise_reference(key[len(prefix):]) == normalised for key in keys)


def record_deposit(staff: User, brand: User | None, amount: int, currency: str, reference: str):
    """Platform finance records a brand's bank transfer into its wallet. The normalised bank reference
    is the posting key, so the same transfer can never be credited twice, however it was typed."""
    reference = (reference or "").strip()
    normalised = normalise_reference(reference)
    check({
        "user_id": (brand is None or not brand.is_brand) and _l("Choose a brand account."),
        "amount": not 0 < amount <= 10**13 and _l("Enter a positive amount."),
        "currency": currency not in CURRENCIES and _l("Choose a supported currency."),
        "reference": not (3 <= len(reference) <= 100 and 3 <= len(normalised) <= 100)
        and _l("Enter the bank transfer's reference."),
    })
    key = f"deposit:{currency}:{normalised}"
    if _deposit_recorded(currency, normalised):
        raise Conflict(_l("A deposit with this bank reference is already recorded."), code="duplicate_deposit")
    wallet = ledger.wallet(brand, currency)
    posting = ledger.post(key, "deposit", [(ledger.clearing("bank_clearing", currency), -amount), (wallet, amount)],
                          memo=f"bank transfer {reference}", actor_id=staff.id, reference=reference,
                          meta={"brand_id": brand.id})
    balance = int(ledger.balance(wallet))  # with this posting (flushed); PostgreSQL sums as a decimal
    audit.record(staff, "deposit.record", "deposit", posting.id,
                 before={"wallet_balance": balance - amount, "currency": currency},
                 after={"wallet_balance": balance, "currency": currency, "amount": amount, "reference": reference},
                 affected_user_id=brand.id)

    notifications.notify([brand.id], "deposit_recorded", to=destinations.WALLET, amount=amount, currency=currency)
    return posting
