"""A provider sets up its Stripe Express account through the API (parity with the payouts page's
button): a link for a current two-factor code, the account made once, its state read back after
Stripe's hosted onboarding."""
import urllib.error
import urllib.request

import pytest

from extensions import db
from models import PayoutAccount
from tests.support.stripe_fixtures import stripe_api
from tests.support.web import otp_for


def test_a_provider_onboards_to_stripe_through_the_api(stripe_app, connect, api, make_user):
    user = make_user("provider", totp=True)
    provider = stripe_api(stripe_app, api(user))
    assert provider.post("/me/payout-account/stripe-status").status_code == 409  # nothing to read yet
    refused = provider.post("/me/payout-account/stripe-onboarding", json={"otp": "12"})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid_otp"
    assert provider.post("/me/payout-account/stripe-onboarding", json={"otp": 12}).status_code == 400
    assert stripe_api(stripe_app, api(make_user("brand"))).post(
        "/me/payout-account/stripe-onboarding", json={}).status_code == 403
    with stripe_app.app_context():
        assert getattr(db.session.get(PayoutAccount, user.id), "stripe_account_id", None) is None

    started = provider.post("/me/payout-account/stripe-onboarding", json={"otp": otp_for(stripe_app, user.email)})
    assert started.status_code == 200, started.json
    assert started.json["url"].startswith(connect + "/_connect/onboard/")
    with stripe_app.app_context():
        account_id = db.session.get(PayoutAccount, user.id).stripe_account_id
        assert account_id

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as back:  # Stripe's hosted onboarding sends the provider back
        urllib.request.build_opener(NoRedirect).open(started.json["url"], timeout=10)
    assert back.value.code == 302
    status = provider.post("/me/payout-account/stripe-status")
    assert status.status_code == 200 and status.json["stripe_payouts_enabled"] is True
    again = provider.post("/me/payout-account/stripe-onboarding", json={"otp": otp_for(stripe_app, user.email)})
    assert again.status_code == 200
    with stripe_app.app_context():
        assert db.session.get(PayoutAccount, user.id).stripe_account_id == account_id  # made once
