"""Where a provider is paid, and where a brand's withdrawals go (services.payout_accounts): read the
settings, save bank details (a change takes a current two-factor code, as on the web)."""
from typing import Literal

from flask import url_for
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field

from blueprints.api.routing import api_route, current_api_user
from services import payout_accounts, payouts, permissions, withdrawals
from services.errors import Conflict


class PayoutBankOut(BaseModel):
    account_name: str
    bank_name: str
    account_number_last4: str


class PayoutAccountOut(BaseModel):
    method: Literal["bank", "stripe"] = Field(description="how this installation pays providers")
    bank: PayoutBankOut | None = Field(description="the saved bank details (the number's last four only)")
    stripe_payouts_enabled: bool
    can_be_paid: bool


class PayoutBankIn(BaseModel):
    account_name: str = Field(max_length=200)
    bank_name: str = Field(max_length=200)
    account_number: str = Field(max_length=64)
    otp: str | None = Field(None, max_length=32, description="a current two-factor code: changing payout details "
                                                              "needs one (403 `totp_required` before enrolment, "
                                                              "422 `invalid_otp` when missing or wrong)")


def _bank_out(account) -> PayoutBankOut:
    """Bank details as shown back: the account number's last four only."""
    return PayoutBankOut(account_name=account.bank_account_name, bank_name=account.bank_name,
                         account_number_last4=account.bank_account_number[-4:])


def _out(user) -> PayoutAccountOut:
    account = payout_accounts.settings_of(user)
    bank = _bank_out(account) if account.has_bank_details else None
    return PayoutAccountOut(method=payouts.method(), bank=bank, can_be_paid=payout_accounts.can_be_paid(user),
                            stripe_payouts_enabled=bool(account.stripe_payouts_enabled))


@api_route("/me/payout-account", summary="Where the caller's organisation is paid", tag="Payouts",
           response=PayoutAccountOut, roles=("provider",), errors=(403,))
def get_payout_account():
    return _out(current_api_user())


@api_route("/me/payout-account", "PUT", summary="Save the bank account payouts go to", tag="Payouts",
           body=PayoutBankIn, response=PayoutAccountOut, roles=("provider",), errors=(403, 422))
def put_payout_account(body: PayoutBankIn):
    user = current_api_user()
    payout_accounts.save_bank_details(user, account_name=body.account_name, bank_name=body.bank_name,
                                      account_number=body.account_number, otp=body.otp)
    return _out(user)


class WalletBankOut(BaseModel):
    bank: PayoutBankOut | None = Field(description="where the brand's withdrawals are paid (the number's last "
                                                   "four only); null until saved")


def _wallet_bank_out(user) -> WalletBankOut:
    account = withdrawals.bank_account(user)
    return WalletBankOut(bank=None if account is None else _bank_out(account))


@api_route("/wallet/bank-account", summary="The bank account the brand's withdrawals are paid to", tag="Ledger",
           response=WalletBankOut, roles=("brand",), errors=(403,))
def get_wallet_bank_account():
    """Needs the organisation role that manages the wallet (owner, finance)."""
    user = current_api_user()
    permissions.require(user, "wallet.manage")
    return _wallet_bank_out(user)


@api_route("/wallet/bank-account", "PUT", summary="Save the bank account withdrawals are paid to", tag="Ledger",
           body=PayoutBankIn, response=WalletBankOut, roles=("brand",), errors=(403, 422))
def put_wallet_bank_account(body: PayoutBankIn):
    """As on the wallet page: a change takes a current two-factor code (`otp`)."""
    user = current_api_user()
    payout_accounts.save_bank_details(user, account_name=body.account_name, bank_name=body.bank_name,
                                      account_number=body.account_number, otp=body.otp)
    return _wallet_bank_out(user)


class StripeOnboardingIn(BaseModel):
    otp: str | None = Field(None, max_length=32, description="a current two-factor code: Stripe's onboarding sets "
                                                              "the payout details")


class StripeOnboardingOut(BaseModel):
    url: str = Field(description="Stripe's hosted onboarding; it sends the provider back to the payouts page")


@api_route("/me/payout-account/stripe-onboarding", "POST", summary="A link to set up the provider's Stripe account",
           tag="Payouts", body=StripeOnboardingIn, response=StripeOnboardingOut, roles=("provider",),
           errors=(403, 409, 422), idempotent=False)
def start_stripe_onboarding(body: StripeOnboardingIn):
    """On the Stripe payout backend only (409 `not_stripe` otherwise). The Express account is made once per
    provider; every call gives a fresh link (links expire: not replayed for an Idempotency-Key)."""
    if payouts.method() != "stripe":
        raise Conflict(_l("Payouts are paid by bank transfer here: there is no Stripe account to set up."),
                       code="not_stripe")
    url = payout_accounts.start_stripe_onboarding(
        current_api_user(), return_url=url_for("payouts.stripe_return", _external=True),
        refresh_url=url_for("payouts.stripe_refresh", _external=True), otp=body.otp)
    return StripeOnboardingOut(url=url)


@api_route("/me/payout-account/stripe-status", "POST", summary="Read the provider's Stripe account state again",
           tag="Payouts", response=PayoutAccountOut, roles=("provider",), errors=(403, 409))
def refresh_stripe_status():
    """What the payouts page does when Stripe sends the provider back: whether payouts can go to the
    account now (409 `no_stripe_account` before onboarding)."""
    user = current_api_user()
    payout_accounts.refresh_stripe_status(user)
    return _out(user)
