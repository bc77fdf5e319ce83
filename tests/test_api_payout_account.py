"""GET/PUT /api/v1/me/payout-account (contract: "Payout accounts"): a provider reads where it is paid
(the account number's last four only) and saves bank details, which takes a current two-factor code,
as on the web."""
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from extensions import db
from models import PayoutAccount
from tests.support.web import TOTP_SECRET

DETAILS = {"account_name": "Yunke Customer Service Co.", "bank_name": "ICBC Shanghai Branch",
           "account_number": "6222 0212 3456 7890"}


def _next_code() -> tuple[str, object]:
    """A code of the next 30-second step: signing the token in took the current one (a code works once)."""
    later = datetime.now(UTC) + timedelta(seconds=30)
    return pyotp.TOTP(TOTP_SECRET).at(later), time_machine.travel(later, tick=True)


def _saved(app, provider_id):
    with app.app_context():
        return db.session.scalar(select(PayoutAccount).where(PayoutAccount.provider_id == provider_id))


def test_a_provider_saves_bank_details_with_a_code_and_reads_the_last_four(app, api, make_user):
    provider = make_user("provider", totp=True)
    caller = api(provider)
    empty = caller.get("/me/payout-account")
    assert empty.status_code == 200
    assert empty.json == {"method": "bank", "bank": None, "stripe_payouts_enabled": False, "can_be_paid": False}
    r = caller.put("/me/payout-account", json=DETAILS)  # no code
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_otp"
    r = caller.put("/me/payout-account", json={**DETAILS, "otp": "000000"})
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_otp"
    assert _saved(app, provider.id) is None  # refused: nothing stored
    code, later = _next_code()
    with later:
        r = caller.put("/me/payout-account", json={**DETAILS, "otp": code})
    assert r.status_code == 200, r.json
    assert r.json["bank"] == {"account_name": DETAILS["account_name"], "bank_name": DETAILS["bank_name"],
                              "account_number_last4": "7890"}
    assert r.json["can_be_paid"] is True
    assert "6222021234567890" not in str(caller.get("/me/payout-account").json)  # never the whole number
    assert _saved(app, provider.id).bank_account_number == "6222021234567890"


def test_bank_details_need_two_factor_sign_in_and_clean_names(app, api, make_user):
    caller = api(make_user("provider"))  # not enrolled
    r = caller.put("/me/payout-account", json={**DETAILS, "otp": "123456"})
    assert r.status_code == 403 and r.json["error"]["code"] == "totp_required"
    enrolled = api(make_user("provider", totp=True))
    code, later = _next_code()
    with later:
        r = enrolled.put("/me/payout-account", json={**DETAILS, "account_name": "Yunke\tCo.", "otp": code})
    assert r.status_code == 422 and "account_name" in r.json["error"]["fields"]


def test_only_providers_have_a_payout_account(api, make_user):
    brand = api(make_user("brand"))
    assert brand.get("/me/payout-account").status_code == 403
    assert brand.put("/me/payout-account", json=DETAILS).status_code == 403
    assert api().get("/me/payout-account").status_code == 401


def test_stripe_onboarding_is_refused_on_the_bank_backend(api, make_user):
    provider = api(make_user("provider", totp=True))
    r = provider.post("/me/payout-account/stripe-onboarding", json={})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_stripe"
    assert api(make_user("brand")).post("/me/payout-account/stripe-onboarding", json={}).status_code == 403
    r = provider.post("/me/payout-account/stripe-status")
    assert r.status_code == 409 and r.json["error"]["code"] == "no_stripe_account"
