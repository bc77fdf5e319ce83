"""Two ways money reaches escrow, behind one interface: the platform's own ledger (a brand's bank
transfer recorded by finance) or Stripe (a card payment confirmed by a signed webhook)."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from models import User
from services import destinations, ledger
from services.errors import check
from services.escrow import FundResult, fund_from_wallet


class LedgerBackend:
    name = "ledger"

    def fund(self, actor, milestone) -> FundResult:
        return fund_from_wallet(actor, milestone)

    def abandon(self, milestone) -> None:
        """Nothing is pending on the ledger backend when a milestone is cancelled."""


def backend():
    if current_app.config.get("STRIPE_SECRET_KEY"):
        from services.stripe_funding import StripeBackend

        return StripeBackend()
    return LedgerBackend()


def record_deposit(staff: User, brand: User | None, amount: int, currency: str, reference: str):
    """Platform finance records a brand's bank transfer into its wallet. The bank reference is the
    posting key, so the same transfer can never be credited twice."""
    from models.catalog import CURRENCIES

    reference = (reference or "").strip()
    check({
        "user_id": (brand is None or not brand.is_brand) and _l("Choose a brand account."),
        "amount": not 0 < amount <= 10**13 and _l("Enter a positive amount."),
        "currency": currency not in CURRENCIES and _l("Choose a supported currency."),
        "reference": not 3 <= len(reference) <= 100 and _l("Enter the bank transfer's reference."),
    })
    key = f"deposit:{currency}:{reference}"
    if ledger.is_posted(key):
        from services.errors import Conflict

        raise Conflict(_l("A deposit with this bank reference is already recorded."), code="duplicate_deposit")
    posting = ledger.post(key, "deposit", [(ledger.clearing("bank_clearing", currency), -amount),
                                           (ledger.wallet(brand, currency), amount)],
                          memo=f"bank transfer {reference}", actor_id=staff.id, reference=reference,
                          meta={"brand_id": brand.id})
    from services import notifications

    notifications.notify([brand.id], "deposit_recorded", to=destinations.WALLET, amount=amount, currency=currency)
    return posting
