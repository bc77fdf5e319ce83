"""Where a provider is paid: bank details (bank backend) or a Stripe Express account (Connect)."""
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import PayoutAccount, User
from services import permissions, stripe_gateway, two_factor
from services.accounts import require_verified_email
from services.errors import Conflict, Forbidden, check
from services.payouts import method


def of(provider: User) -> PayoutAccount | None:
    """The payout settings of the organisation `provider` acts for (its principal's)."""
    return db.session.get(PayoutAccount, provider.account_id)


def _own(provider: User) -> PayoutAccount:
    """A provider's payout settings, or a brand's bank account its withdrawals are paid to (services.withdrawals)."""
    if provider is None or not (provider.is_provider or provider.is_brand):
        raise Forbidden(_l("Only providers have payout settings."))
    permissions.require(provider, "payout.manage" if provider.is_provider else "wallet.manage")
    require_verified_email(provider)
    account = of(provider)
    if account is None:
        account = PayoutAccount(provider_id=provider.account_id)
        db.session.add(account)
    return account


def settings_of(provider: User) -> PayoutAccount:
    """The provider's payout settings to show it (finance and owners of the organisation)."""
    if provider is None or not provider.is_provider:
        raise Forbidden(_l("Only providers have payout settings."))
    permissions.require(provider, "payout.manage")
    return of(provider) or PayoutAccount(provider_id=provider.account_id)  # nothing saved yet: empty, unsaved


def can_be_paid(provider: User) -> bool:
    """Batches only pay providers whose destination can receive money on the active backend."""
    account = of(provider)
    if account is None or not provider.email_verified:  # an unverified provider's money waits
        return False
    return account.stripe_payouts_enabled if method() == "stripe" else account.has_bank_details


def has_control_characters(text: str) -> bool:
    """C0 and C1 controls (newlines and tabs included), DEL, and the bidirectional overrides and
    isolates that make a name display differently from what the bank file sends."""
    return any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in text)


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def save_bank_details(provider: User, *, account_name: str, bank_name: str, account_number: str,
                      otp: str | None = None, vouched: bool = False) -> PayoutAccount:
    """Where the bank backend pays the provider. A change needs a current two-factor code (`otp`): 403
    `totp_required` before enrolment, 422 `invalid_otp` when missing or wrong. `vouched`: details the
    operator enters for an account it vouches for (the demo seed), with no code."""
    account_name, bank_name = (account_name or "").strip(), (bank_name or "").strip()
    account_number = "".join((account_number or "").split())
    controls = _l("Remove line breaks, tabs and other control characters.")
    check({
        "account_name": (has_control_characters(account_name) and controls)
        or (not 2 <= len(account_name) <= 200 and _l("Enter the account holder's name.")),
        "bank_name": (has_control_characters(bank_name) and controls)
        or (not 2 <= len(bank_name) <= 200 and _l("Enter the bank and branch.")),
        "account_number": not (8 <= len(account_number) <= 34 and account_number.isascii() and account_number.isalnum())
        and _l("Enter the account number (8 to 34 letters or digits)."),
    })
    account = _own(provider)
    if not vouched:
        two_factor.require_code(provider, otp)
    account.bank_account_name, account.bank_name, account.bank_account_number = account_name, bank_name, account_number
    return account


def start_stripe_onboarding(provider: User, *, return_url: str, refresh_url: str, otp: str | None = None) -> str:
    """Create the provider's Express account once (idempotent per provider), then a fresh onboarding
    link; returns the URL to send the provider to. Stripe's onboarding sets the payout details, so it
    needs a current two-factor code (`otp`) like bank details do."""
    account = _own(provider)
    two_factor.require_code(provider, otp)
    if account.stripe_account_id is None:
        principal = permissions.principal_of(provider)  # the account is the organisation's
        created = stripe_gateway.create_express_account(email=principal.email, provider_id=principal.id,
                                                        idempotency_key=f"connect-account-{principal.id}")
        account.stripe_account_id = created.id
        db.session.flush()
    return stripe_gateway.create_onboarding_link(account.stripe_account_id, refresh_url=refresh_url,
                                                 return_url=return_url).url


def refresh_stripe_status(provider: User) -> PayoutAccount:
    """Copy Stripe's view of the account: payouts only go to accounts that can receive them."""
    account = of(provider)
    if account is None or account.stripe_account_id is None:
        raise Conflict(_l("Connect a Stripe account first."), code="no_stripe_account")
    _copy_stripe_state(account, stripe_gateway.retrieve_account(account.stripe_account_id).to_dict())
    return account


def apply_stripe_account(remote) -> str:
    """The `account.updated` webhook: Stripe enabled or disabled payouts to a provider's account. Events
    can arrive late and out of order, so the event only says which account changed: its state is read
    from Stripe now (if that fails, the webhook answers an error and Stripe delivers it again)."""
    remote = remote.to_dict() if hasattr(remote, "to_dict") else remote
    account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.stripe_account_id == remote.get("id")))
    if account is None:
        return "ignored"
    _copy_stripe_state(account, stripe_gateway.retrieve_account(account.stripe_account_id).to_dict())
    return "account_updated"


def _copy_stripe_state(account: PayoutAccount, remote: dict) -> None:
    transfers_active = (remote.get("capabilities") or {}).get("transfers") == "active"
    account.stripe_payouts_enabled = bool(remote.get("payouts_enabled")) and transfers_active
    account.stripe_details_submitted = bool(remote.get("details_submitted"))
