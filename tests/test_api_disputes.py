"""Disputes endpoints of the contract, the audit trail, and the ledger after every kind of decision."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from extensions import db
from models import Dispute, Milestone
from services import ledger
from services.disputes import record_of
from tests.support.ledger import balances, postings
from tests.support.web import signed_in
from workers import jobs


@pytest.fixture
def disputed(deal):
    """A delivered 1,000.00 milestone under a dispute opened by the brand."""

    def build(amounts=(100000, 20000, 30000)):
        d = deal(amounts=amounts)
        d.deposit(sum(amounts))
        d.fund(0)
        d.deliver(0)
        r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes",
                         json={"reason": "quality", "statement": "The images are blurry.",
                               "evidence": ["https://pan.example.com/s/proof"]})
        assert r.status_code == 201 and r.json["status"] == "open", r.json
        d.dispute_id = r.json["id"]
        return d

    return build


def test_open_freezes_the_milestone_and_stops_the_clock(disputed, app):
    d = disputed()
    detail = d.milestone(0)
    assert detail["status"] == "disputed" and detail["auto_release_at"] is None
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/accept").status_code == 409
    with time_machine.travel(datetime.now(UTC) + timedelta(days=30), tick=False), app.app_context():
        assert jobs.release_due_milestones()["released"] == 0
    second = d.provider.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "other"})
    assert second.status_code == 409  # one open dispute per milestone
    assert "dispute_opened" in [n["kind"] for n in d.provider.get("/notifications").json["items"]]


def test_open_rules(deal, api, make_user):
    d = deal()
    mid = d.milestone_ids[0]
    assert d.brand.post(f"/milestones/{mid}/disputes", json={"reason": "late"}).status_code == 409  # unfunded
    d.deposit(150000_00)
    d.fund(0)
    assert d.brand.post(f"/milestones/{mid}/disputes", json={"reason": "bored"}).status_code == 422
    r = d.brand.post(f"/milestones/{mid}/disputes", json={"reason": "late", "evidence": ["ftp://x"]})
    assert r.status_code == 422
    assert api(make_user("brand")).post(f"/milestones/{mid}/disputes", json={"reason": "late"}).status_code == 404
    assert d.staff.post(f"/milestones/{mid}/disputes", json={"reason": "late"}).status_code == 403
    assert d.provider.post(f"/milestones/{mid}/disputes", json={"reason": "unresponsive"}).status_code == 201


def test_parties_and_staff_read_it_others_get_404(disputed, api, make_user):
    d = disputed()
    path = f"/disputes/{d.dispute_id}"
    assert d.brand.get(path).status_code == d.provider.get(path).status_code == d.staff.get(path).status_code == 200
    assert api(make_user("brand")).get(path).status_code == 404
    assert api(make_user("provider")).get(path).status_code == 404
    assert api().get(path).status_code == 401
    assert api(make_user("provider")).post(f"{path}/evidence", json={"note": "me too"}).status_code == 404


def test_evidence_deadlines_and_not_responding(disputed, app):
    d = disputed()
    path = f"/disputes/{d.dispute_id}"
    assert d.brand.get(path).json["responses"] == {"brand": "responded", "provider": "waiting"}
    assert d.provider.post(f"{path}/evidence", json={"note": ""}).status_code == 422
    with time_machine.travel(datetime.now(UTC) + timedelta(days=6), tick=False):
        assert d.brand.get(path).json["responses"] == {"brand": "responded", "provider": "not_responding"}
        assert d.staff.get("/admin/disputes", query_string={"overdue": "true"}).json["total"] == 1
    r = d.provider.post(f"{path}/evidence", json={"note": "Sharp originals", "links": ["https://pan.example.com/o"]})
    assert r.status_code == 201
    assert d.brand.get(path).json["responses"] == {"brand": "responded", "provider": "responded"}


def test_only_staff_resolve_and_only_once(disputed, app):
    d = disputed()
    path = f"/disputes/{d.dispute_id}/resolve"
    assert d.brand.post(path, json={"provider_amount": 0, "reason": "mine"}).status_code == 403
    assert d.provider.post(path, json={"provider_amount": 100000, "reason": "mine"}).status_code == 403
    assert d.staff.post(path, json={"provider_amount": 100001, "reason": "too much"}).status_code == 422
    assert d.staff.post(path, json={"provider_amount": -1, "reason": "negative"}).status_code == 422
    assert d.staff.post(path, json={"provider_amount": 50000, "reason": ""}).status_code == 422
    assert d.staff.post(path, json={"provider_amount": "half", "reason": "x"}).status_code == 400
    r = d.staff.post(path, json={"provider_amount": 60000, "reason": "Partly usable images."})
    assert r.status_code == 200 and r.json["status"] == "resolved"
    again = d.staff.post(path, json={"provider_amount": 100000, "reason": "Changed my mind."})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_resolved"
    assert postings(app, "resolution") == 1
    detail = d.brand.get(f"/disputes/{d.dispute_id}").json
    assert detail["provider_amount"] == 60000 and detail["decision_reason"] == "Partly usable images."
    assert [h["action"] for h in detail["history"]] == ["opened", "resolved"]
    assert d.milestone(0)["status"] == "resolved"
    kinds = [n["kind"] for n in d.provider.get("/notifications").json["items"]]
    assert "dispute_resolved" in kinds


@pytest.mark.parametrize("provider_amount", [0, 100000, 33333])
def test_ledger_after_a_decision(disputed, provider_amount):
    d = disputed()
    before_brand = balances(d.brand)["brand_wallet"]
    d.staff.post(f"/disputes/{d.dispute_id}/resolve", json={"provider_amount": provider_amount, "reason": "decided"})
    commission = (provider_amount * 1000 + 5000) // 10000
    assert balances(d.brand)["brand_wallet"] - before_brand == 100000 - provider_amount
    assert balances(d.provider).get("provider_payable", 0) == provider_amount - commission
    summary = d.staff.get("/ledger/summary").json
    by_name = {a["name"]: a["amount"] for a in summary["accounts"]}
    assert summary["total"] == {"CNY": 0} and by_name["escrow"] == 0
    assert by_name.get("platform_revenue", 0) == commission


def test_withdraw_restores_the_state_and_restarts_the_clock(disputed, app):
    d = disputed()
    path = f"/disputes/{d.dispute_id}/withdraw"
    assert d.provider.post(path).status_code == 403  # not the side that opened it
    before = datetime.now(UTC)
    assert d.brand.post(path).json["status"] == "withdrawn"
    detail = d.milestone(0)
    assert detail["status"] == "delivered"
    assert datetime.fromisoformat(detail["auto_release_at"]) >= before + timedelta(days=14)
    assert d.brand.post(path).status_code == 409
    assert d.staff.post(f"/disputes/{d.dispute_id}/resolve", json={"provider_amount": 0,
                                                                   "reason": "late"}).status_code == 409
    assert d.accept(0)["status"] == "released"


def test_withdraw_from_changes_requested_keeps_the_clock_stopped(deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    d.brand.post(f"/milestones/{d.milestone_ids[0]}/request-changes", json={"note": "redo it please"})
    r = d.provider.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "scope_change"})
    d.provider.post(f"/disputes/{r.json['id']}/withdraw")
    detail = d.milestone(0)
    assert detail["status"] == "changes_requested" and detail["auto_release_at"] is None


def test_resolve_with_idempotency_key_replays(disputed, app):
    d = disputed()
    path = f"/disputes/{d.dispute_id}/resolve"
    body = {"provider_amount": 40000, "reason": "Split."}
    first = d.staff.post(path, json=body, headers={"Idempotency-Key": "decide-1"})
    second = d.staff.post(path, json=body, headers={"Idempotency-Key": "decide-1"})
    assert (first.status_code, second.status_code) == (200, 200) and first.json == second.json
    assert postings(app, "resolution") == 1


def test_a_decision_is_corrected_by_a_separate_adjustment(disputed, app):
    d = disputed()
    d.staff.post(f"/disputes/{d.dispute_id}/resolve", json={"provider_amount": 100000, "reason": "All good."})
    payable = balances(d.provider)["provider_payable"]
    wallet = balances(d.brand)["brand_wallet"]
    r = d.staff.post(f"/disputes/{d.dispute_id}/adjustments",
                     json={"amount": 10000, "direction": "to_brand", "reason": "One image was missing."})
    assert r.status_code == 201
    # the brand gets 100.00 back: 90.00 from the provider, 10.00 of the platform's commission on it
    assert balances(d.provider)["provider_payable"] == payable - 9000
    assert balances(d.brand)["brand_wallet"] == wallet + 10000
    detail = d.staff.get(f"/disputes/{d.dispute_id}").json
    assert detail["provider_amount"] == 100000  # the decision itself is unchanged
    assert [h["action"] for h in detail["history"]][-1] == "adjusted"
    assert d.brand.post(f"/disputes/{d.dispute_id}/adjustments",
                        json={"amount": 1, "direction": "to_brand", "reason": "please"}).status_code == 403
    too_much = d.staff.post(f"/disputes/{d.dispute_id}/adjustments",
                            json={"amount": 10**9, "direction": "to_brand", "reason": "oops"})
    assert too_much.status_code == 409 and too_much.json["error"]["code"] == "exceeds_provider_share"


def revenue(app) -> int:
    with app.app_context():
        return ledger.balance(ledger.revenue("CNY"))


def test_a_full_correction_gives_the_commission_back(disputed, app):
    """The commission follows the provider's share: corrections that take the whole share back leave the
    provider exactly where it was before the milestone, and the platform with no commission from it."""
    d = disputed()
    payable_before, revenue_before = balances(d.provider).get("provider_payable", 0), revenue(app)
    d.staff.post(f"/disputes/{d.dispute_id}/resolve", json={"provider_amount": 33333, "reason": "A third was usable."})
    assert revenue(app) - revenue_before == 3333
    for amount in (11111, 22222):  # two corrections, each rounding on its own, add up to the whole share
        assert d.staff.post(f"/disputes/{d.dispute_id}/adjustments", json={
            "amount": amount, "direction": "to_brand", "reason": "Not usable after all."}).status_code == 201
    assert balances(d.provider).get("provider_payable", 0) == payable_before
    assert revenue(app) == revenue_before
    nothing_left = d.staff.post(f"/disputes/{d.dispute_id}/adjustments",
                                json={"amount": 1, "direction": "to_brand", "reason": "One more fen."})
    assert nothing_left.status_code == 409 and nothing_left.json["error"]["code"] == "exceeds_provider_share"


def test_a_correction_to_the_provider_is_charged_commission_like_a_release(disputed, app):
    d = disputed()
    d.staff.post(f"/disputes/{d.dispute_id}/resolve", json={"provider_amount": 0, "reason": "Nothing usable."})
    payable, wallet, revenue_before = (balances(d.provider).get("provider_payable", 0),
                                       balances(d.brand)["brand_wallet"], revenue(app))
    with app.app_context():
        amount = db.session.scalar(select(Milestone.amount).join(Dispute).where(Dispute.id == d.dispute_id))
    r = d.staff.post(f"/disputes/{d.dispute_id}/adjustments",
                     json={"amount": 50000, "direction": "to_provider", "reason": "Half was usable after all."})
    assert r.status_code == 201
    assert balances(d.brand)["brand_wallet"] == wallet - 50000
    assert balances(d.provider)["provider_payable"] == payable + 45000 and revenue(app) == revenue_before + 5000
    beyond = d.staff.post(f"/disputes/{d.dispute_id}/adjustments", json={
        "amount": amount - 50000 + 1, "direction": "to_provider", "reason": "More than the milestone."})
    assert beyond.status_code == 409 and beyond.json["error"]["code"] == "exceeds_milestone"
    with app.app_context():
        milestone = db.session.scalar(select(Milestone).join(Dispute).where(Dispute.id == d.dispute_id))
        provider_id = milestone.contract.provider_id
    page = signed_in(app, provider_id).get(f"/disputes/{d.dispute_id}").get_data(as_text=True)
    assert 'data-testid="commission-rule"' in page and 'data-testid="settlement"' in page


def test_provider_dispute_record_is_queryable(disputed, app):
    d = disputed()
    d.staff.post(f"/disputes/{d.dispute_id}/resolve", json={"provider_amount": 20000, "reason": "Mostly unusable."})
    provider_id = d.provider.get("/me").json["id"]
    with app.app_context():
        assert record_of(provider_id) == {"disputes": 1, "decided": 1, "lost": 1, "withdrawn": 0}


def test_a_disputed_milestone_cannot_be_delivered_or_changed_out_of_the_dispute(deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    mid = d.milestone_ids[0]
    dispute = d.brand.post(f"/milestones/{mid}/disputes", json={"reason": "quality"}).json["id"]
    assert d.provider.post(f"/milestones/{mid}/deliver", json={"note": "again"}).status_code == 409
    assert d.brand.post(f"/milestones/{mid}/request-changes", json={"note": "redo"}).status_code == 409
    assert d.milestone(0)["status"] == "disputed"
    history = d.staff.get(f"/disputes/{dispute}").json["history"]
    assert history[0]["detail"]["previous_status"] == "delivered"
