"""When Stripe or Redis is out of reach, a request that needs it is told so — 503 with the contract's
JSON error and Retry-After, or a page saying to try again — never a 500, and nothing half-done stays."""
import socket

from sqlalchemy import select

from extensions import db
from models import Milestone, StripePayment
from tests.support.backends import make_app
from tests.support.web import Api


def closed_port() -> int:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_funding_by_card_while_stripe_is_unreachable_says_try_again(deal, app):
    d = deal()
    down = make_app(STRIPE_SECRET_KEY="sk_test_unreachable", STRIPE_API_BASE=f"http://127.0.0.1:{closed_port()}",
                    STRIPE_WEBHOOK_SECRET="whsec_test")
    brand = Api(down.test_client(), d.brand.token)
    mid = d.milestone_ids[0]
    r = brand.post(f"/milestones/{mid}/fund")
    assert r.status_code == 503 and r.json["error"]["code"] == "service_unavailable", r.json
    assert r.headers["Retry-After"] == "30"
    with app.app_context():
        assert db.session.get(Milestone, mid).status == "pending"  # not funded, not stuck
        attempts = db.session.scalars(select(StripePayment).where(StripePayment.milestone_id == mid)).all()
        assert [a.payment_intent_id for a in attempts] in ([], [None])  # at most the committed attempt, no intent


def test_a_job_status_while_redis_is_down_says_try_again(api, make_user, redis_down):
    staff = api(make_user("admin"))
    with redis_down():
        r = staff.get("/jobs/0123456789abcdef")
    assert r.status_code == 503 and r.json["error"]["code"] == "service_unavailable", r.json
    assert r.headers["Retry-After"] == "30"
