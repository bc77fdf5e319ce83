"""Providers' margin deposit (issue 18, item 2): required per category (staff, audited) or by a tender,
paid from earnings or by bank transfer with the provider's reference, a condition of bidding (409
`margin_required`), a trust mark on the profile, awarded to a brand after a dispute the provider lost
(bounded, four eyes, audited), withdrawn after the cool-off; every move a keyed balanced posting."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import Contract, Dispute, LedgerPosting, MarginAward, StaffAction
from models.types import utcnow
from services import ledger, transfer_references
from services.margins import held as margins_held
from tests.support.factories import bid_payload, tender_payload
from tests.support.ledger import balances, reconcile
from tests.support.web import form_post, switch
from tests.test_concurrency import post_json_answer, race


def earn(app, provider_id: int, amount: int, key: str = "earned") -> None:
    """Money released to the provider (its payable), as a milestone release would leave it."""
    with app.app_context():
        ledger.post(f"{key}:{provider_id}", "release", [(ledger.clearing("bank_clearing", "CNY"), -amount),
                                                        (ledger.payable(provider_id, "CNY"), amount)])
        db.session.commit()


def provider_of(app, contract_id: int) -> int:
    with app.app_context():
        return db.session.get(Contract, contract_id).provider_id


def age_margin_history(app, days: int = 31) -> None:
    """Postings are append-only in the ORM; move margin and contract dates back past the cool-off."""
    with app.app_context():
        db.session.execute(update(LedgerPosting.__table__).values(created_at=utcnow() - timedelta(days=days)))
        db.session.commit()


@pytest.fixture
def lost(deal, make_user, api):
    """A 1,000.00 milestone the brand disputed and staff decided mostly for the brand (provider gets 200.00);
    the provider holds 5,000.00 of margin paid from its earnings."""

    def build(provider_amount: int = 20000):
        d = deal(amounts=(100000, 20000, 30000))
        d.deposit(150000)
        d.fund(0)
        d.deliver(0)
        dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).json
        r = d.staff.post(f"/disputes/{dispute['id']}/resolve", json={"provider_amount": provider_amount,
                                                                      "reason": "Mostly unusable."})
        assert r.status_code == 200, r.json
        d.dispute_id = dispute["id"]
        d.provider_id = provider_of(d.app, d.contract_id)
        earn(d.app, d.provider_id, 5000_00, key="margin-test-earning")
        assert d.provider.post("/me/margin", json={"amount": 5000_00, "currency": "CNY"}).status_code == 201
        d.second_staff = api(make_user("admin"))
        return d

    return build


# --- paying it and what it is asked for -----------------------------------------------------------

def test_a_provider_pays_margin_from_earnings_and_reads_it(app, api, make_user):
    user = make_user("provider")
    provider = api(user)
    staff = api(make_user("admin"))
    assert staff.put("/admin/margins/design", json={"amount": 300_00}).status_code == 200
    earn(app, user.id, 800_00)
    r = provider.post("/me/margin", json={"amount": 500_00, "currency": "CNY"})
    assert r.status_code == 201 and r.json["held"] == {"amount": 500_00, "currency": "CNY"}, r.json
    body = provider.get("/me/margin").json
    assert body["held"] == {"amount": 500_00, "currency": "CNY"}
    assert {"category": "design", "amount": 300_00} in body["required"]
    assert body["reference"] == transfer_references.reference_for(user.id)
    assert balances(provider) == {"provider_payable": 300_00, "provider_margin": 500_00}
    # more than the earnings, other currencies, bad amounts: refused, nothing moves
    over = provider.post("/me/margin", json={"amount": 300_01, "currency": "CNY"})
    assert over.status_code == 409 and over.json["error"]["code"] == "insufficient_funds"
    assert provider.post("/me/margin", json={"amount": 100, "currency": "USD"}).status_code == 422
    assert provider.post("/me/margin", json={"amount": -1, "currency": "CNY"}).status_code in (400, 422)
    assert provider.post("/me/margin", json={"amount": "5", "currency": "CNY"}).status_code == 400
    assert api(make_user("brand")).get("/me/margin").status_code == 403
    assert balances(provider) == {"provider_payable": 300_00, "provider_margin": 500_00}
    with app.app_context():
        action = db.session.scalars(select(StaffAction).where(StaffAction.action == "margin.category_set")).one()
        assert action.after == {"category": "design", "amount": 300_00, "currency": "CNY"}
    assert reconcile(app).ok


def test_a_bank_transfer_with_the_providers_reference_pays_its_margin_once(app, api, make_user):
    user = make_user("provider")
    provider, staff = api(user), api(make_user("admin"))
    reference = transfer_references.reference_for(user.id)
    data = (f"date,amount,currency,reference,transaction_id\n2026-12-01,2000.00,CNY,{reference},MRG-1\n"
            f"2026-12-01,10.00,USD,{reference},MRG-2\n").encode()
    for _ in range(2):  # the same file twice credits once
        r = staff.post("/admin/bank-statements", data={"file": (io.BytesIO(data), "s.csv")},
                       content_type="multipart/form-data")
        assert r.status_code == 200, r.json
    assert provider.get("/me/margin").json["held"]["amount"] == 2000_00
    assert r.json["duplicates"] == 2
    queued = staff.get("/admin/bank-statements/unmatched").json["items"]
    assert [(q["transaction_id"], q["reason"]) for q in queued] == [("MRG-2", "margin_currency")]
    assert reconcile(app).ok


def test_below_the_tenders_or_categorys_margin_a_provider_cannot_bid(app, api, make_user, market):
    m = market(2, margin_required=1000_00)
    assert m.brand.get(f"/tenders/{m.tender_id}").json["margin_required"] == 1000_00
    r = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 409 and r.json["error"]["code"] == "margin_required", r.json
    earn(app, m.provider_users[0].id, 1000_00)
    assert m.providers[0].post("/me/margin", json={"amount": 1000_00, "currency": "CNY"}).status_code == 201
    assert m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload()).status_code == 201
    # the category asks more than the tender: the category's requirement applies
    staff = api(make_user("admin"))
    assert staff.put("/admin/margins/customer_service", json={"amount": 1500_00}).status_code == 200
    r = m.providers[1].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 409 and r.json["error"]["code"] == "margin_required"
    bad = m.brand.post("/tenders", json=tender_payload(margin_required=-5))
    assert bad.status_code in (400, 422)
    assert staff.put("/admin/margins/nonsense", json={"amount": 1}).status_code == 422


def test_the_profile_shows_the_margin_as_a_trust_mark(app, client, api, make_user):
    user = make_user("provider")
    page = client.get(f"/providers/{user.id}").get_data(as_text=True)
    assert 'data-testid="margin-mark"' not in page
    earn(app, user.id, 800_00)
    api(user).post("/me/margin", json={"amount": 800_00, "currency": "CNY"})
    page = client.get(f"/providers/{user.id}").get_data(as_text=True)
    assert 'data-testid="margin-mark"' in page and "800" in page


# --- awards after a lost dispute ------------------------------------------------------------------

def test_staff_award_margin_to_the_brand_after_a_lost_dispute_bounded_and_audited(app, lost):
    d = lost()
    path = f"/admin/disputes/{d.dispute_id}/margin-awards"
    r = d.staff.post(path, json={"amount": 600_00, "reason": "Costs of redoing the work"})
    assert r.status_code == 201 and r.json["status"] == "applied", r.json
    assert d.provider.get("/me/margin").json["held"]["amount"] == 4400_00
    wallet_before = balances(d.brand)["brand_wallet"]
    # all awards of the dispute total at most its amount (1,000.00)
    over = d.staff.post(path, json={"amount": 400_01, "reason": "More"})
    assert over.status_code == 409 and over.json["error"]["code"] == "exceeds_dispute_amount"
    assert d.brand.post(path, json={"amount": 1, "reason": "mine"}).status_code == 403
    assert d.staff.post(path, json={"amount": 0, "reason": "zero"}).status_code in (400, 422)
    assert d.staff.post("/admin/disputes/999999/margin-awards", json={"amount": 1, "reason": "none"}).status_code == 404
    assert balances(d.brand)["brand_wallet"] == wallet_before
    with app.app_context():
        assert ledger.is_posted(f"margin-award:{r.json['id']}")
        action = db.session.scalars(select(StaffAction).where(StaffAction.action == "margin.award")).one()
        assert action.subject_id == d.dispute_id and action.after["amount"] == 600_00
    assert reconcile(app).ok


def test_no_award_on_a_dispute_not_decided_against_the_provider(app, lost):
    d = lost(provider_amount=100000)  # the provider got everything
    r = d.staff.post(f"/admin/disputes/{d.dispute_id}/margin-awards", json={"amount": 100, "reason": "Not owed"})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_against_provider"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MarginAward)) == 0


def test_an_award_above_the_threshold_waits_for_a_second_staff_member(app, lost):
    app.config["CORRECTION_APPROVAL_THRESHOLD"] = 500_00
    try:
        d = lost()
        r = d.staff.post(f"/admin/disputes/{d.dispute_id}/margin-awards", json={"amount": 800_00, "reason": "Big"})
        assert r.status_code == 201 and r.json["status"] == "pending"
        assert d.provider.get("/me/margin").json["held"]["amount"] == 5000_00
        second = d.staff.post(f"/admin/disputes/{d.dispute_id}/margin-awards", json={"amount": 1, "reason": "Another"})
        assert second.status_code == 409 and second.json["error"]["code"] == "award_pending"
        own = d.staff.post(f"/admin/margin-awards/{r.json['id']}/approve")
        assert own.status_code == 409 and own.json["error"]["code"] == "four_eyes"
        ok = d.second_staff.post(f"/admin/margin-awards/{r.json['id']}/approve")
        assert ok.status_code == 200 and ok.json["status"] == "applied"
        assert d.second_staff.post(f"/admin/margin-awards/{r.json['id']}/approve").status_code == 409
        assert d.provider.get("/me/margin").json["held"]["amount"] == 4200_00
        with app.app_context():
            actions = db.session.scalars(select(StaffAction.action).where(StaffAction.action.like("margin.award%"))
                                         .order_by(StaffAction.id)).all()
            assert actions == ["margin.award_propose", "margin.award_approve"]
    finally:
        app.config["CORRECTION_APPROVAL_THRESHOLD"] = 100000
    assert reconcile(app).ok


# --- taking it back -------------------------------------------------------------------------------

def test_margin_is_withdrawn_only_after_the_cool_off_with_nothing_open(app, api, make_user):
    user = make_user("provider")
    provider = api(user)
    earn(app, user.id, 1000_00)
    provider.post("/me/margin", json={"amount": 1000_00, "currency": "CNY"})
    early = provider.post("/me/margin/withdrawals", json={"amount": 1000_00, "currency": "CNY"})
    assert early.status_code == 409 and early.json["error"]["code"] == "margin_cool_off"
    age_margin_history(app)
    over = provider.post("/me/margin/withdrawals", json={"amount": 1000_01, "currency": "CNY"})
    assert over.status_code == 409 and over.json["error"]["code"] == "insufficient_margin"
    r = provider.post("/me/margin/withdrawals", json={"amount": 1000_00, "currency": "CNY"})
    assert r.status_code == 201 and r.json["held"]["amount"] == 0
    assert balances(provider) == {"provider_payable": 1000_00, "provider_margin": 0}
    assert reconcile(app).ok


def test_an_open_contract_keeps_the_margin(app, deal):
    d = deal()
    provider_id = provider_of(app, d.contract_id)
    earn(app, provider_id, 100_00)
    d.provider.post("/me/margin", json={"amount": 100_00, "currency": "CNY"})
    age_margin_history(app)
    r = d.provider.post("/me/margin/withdrawals", json={"amount": 100_00, "currency": "CNY"})
    assert r.status_code == 409 and r.json["error"]["code"] == "margin_in_use"


def test_a_margin_award_racing_a_margin_withdrawal_settles_exactly_once(app, lost, live_server):
    d = lost()
    age_margin_history(app)
    with app.app_context():  # the contract is done: only the cool-off and the balance decide
        contract = db.session.get(Contract, d.contract_id)
        db.session.execute(update(Contract.__table__).where(Contract.id == contract.id)
                           .values(status="completed", completed_at=utcnow() - timedelta(days=40)))
        db.session.execute(update(LedgerPosting.__table__).values(created_at=utcnow() - timedelta(days=40)))
        db.session.execute(update(Dispute.__table__).values(closed_at=utcnow() - timedelta(days=40)))
        db.session.commit()
    d.provider.get("/me/margin")  # each token's first use is recorded on a connection of its own: not in the race
    d.staff.get("/me")
    calls = [
        (f"{live_server.url}/api/v1/admin/disputes/{d.dispute_id}/margin-awards", d.staff.token,
         {"amount": 1000_00, "reason": "Costs"}),
        (f"{live_server.url}/api/v1/me/margin/withdrawals", d.provider.token, {"amount": 5000_00, "currency": "CNY"}),
    ]
    answers = race(2, lambda i: post_json_answer(*calls[i]))
    codes = [status for status, _ in answers]
    assert sorted(codes) == [201, 409], answers
    held = d.provider.get("/me/margin").json["held"]["amount"]
    payable = balances(d.provider).get("provider_payable", 0)
    with app.app_context():
        awards = db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                   .where(LedgerPosting.kind == "margin_award"))
        outs = db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "margin_out"))
    if codes[0] == 201:  # the award won: 4,000.00 left, nothing withdrawn
        assert (awards, outs, held) == (1, 0, 4000_00)
    else:  # the withdrawal won: the margin is empty, no award posted
        assert (awards, outs, held) == (0, 1, 0) and payable >= 5000_00
    assert reconcile(app).ok


def test_staff_set_a_category_margin_on_their_page_and_a_provider_pays_on_its_own(app, client, login, make_user):
    login(make_user("admin"))
    r = form_post(client, "/admin/margins/categories", {"category": "video", "amount": "1,000"}, page="/admin/margins")
    assert r.status_code == 422
    r = form_post(client, "/admin/margins/categories", {"category": "video", "amount": "250.50"}, page="/admin/margins")
    assert r.status_code == 302
    assert '250.50' in client.get("/admin/margins").get_data(as_text=True)
    provider = make_user("provider")
    earn(app, provider.id, 100_00)
    switch(client, provider)
    r = form_post(client, "/payouts/margin", {"amount": "100.01"}, page="/payouts")
    assert r.status_code == 422
    r = form_post(client, "/payouts/margin", {"amount": "60.00"}, page="/payouts")
    assert r.status_code == 302
    page = client.get("/payouts").get_data(as_text=True)
    assert 'data-testid="margin-held"' in page and transfer_references.reference_for(provider.id) in page
    with app.app_context():
        assert margins_held(provider.id) == 60_00
        assert db.session.scalar(select(func.count()).select_from(StaffAction)
                                 .where(StaffAction.action == "margin.category_set")) == 1


def test_a_second_staff_member_rejects_a_pending_award_and_nothing_moves(app, lost):
    app.config["CORRECTION_APPROVAL_THRESHOLD"] = 500_00
    try:
        d = lost()
        award = d.staff.post(f"/admin/disputes/{d.dispute_id}/margin-awards", json={"amount": 800_00, "reason": "Big"})
        assert award.status_code == 201 and award.json["status"] == "pending"
        path = f"/admin/margin-awards/{award.json['id']}/reject"
        assert d.brand.post(path, json={"reason": "Not mine to decide"}).status_code == 403
        assert d.second_staff.post(path, json={"reason": 5}).status_code == 400
        assert d.second_staff.post("/admin/margin-awards/999999/reject", json={"reason": "None"}).status_code == 404
        r = d.second_staff.post(path, json={"reason": "The costs were not shown."})
        assert r.status_code == 200 and r.json["status"] == "rejected", r.json
        assert d.second_staff.post(path, json={"reason": "Again."}).status_code == 409  # decided once
        assert d.provider.get("/me/margin").json["held"]["amount"] == 5000_00  # nothing taken
        with app.app_context():
            assert not ledger.is_posted(f"margin-award:{award.json['id']}")
    finally:
        app.config["CORRECTION_APPROVAL_THRESHOLD"] = 100000
