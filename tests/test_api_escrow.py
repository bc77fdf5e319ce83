"""Escrow on the ledger backend: deposits, fund, deliver, request changes, accept → release with
commission, cancel, completion, Idempotency-Key, and the ledger's own guarantees."""
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import LedgerEntry, LedgerPosting, Milestone
from models.ledger import AppendOnlyError
from services import funding, ledger
from tests.support.ledger import balances, postings


def test_deposit_rules(deal, api, make_user):
    d = deal()
    assert d.brand.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 100, "currency": "CNY",
                                                  "reference": "BANK-1"}).status_code == 403
    d.deposit(500000_00, "BANK-2026-0001")
    assert balances(d.brand) == {"brand_wallet": 500000_00}
    r = d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 1, "currency": "CNY",
                                               "reference": "BANK-2026-0001"})
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_deposit"
    provider_id = d.provider.get("/me").json["id"]
    r = d.staff.post("/admin/deposits", json={"user_id": provider_id, "amount": 1, "currency": "CNY",
                                               "reference": "BANK-X"})
    assert r.status_code == 422 and "user_id" in r.json["error"]["fields"]
    assert d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 1.5, "currency": "CNY",
                                                  "reference": "BANK-Y"}).status_code == 400
    assert balances(d.brand) == {"brand_wallet": 500000_00}


def test_fund_needs_money_in_the_wallet(deal):
    d = deal()
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/fund")
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_funds"
    d.deposit(200000_00)
    assert d.fund(0) == {"status": "funded", "client_secret": None}
    assert balances(d.brand) == {"brand_wallet": 50000_00}
    assert d.brand.post(f"/milestones/{d.milestone_ids[1]}/fund").json["error"]["code"] == "insufficient_funds"
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/fund").status_code == 409  # funded already
    assert d.milestone(0)["status"] == "funded"
    assert d.provider.post(f"/milestones/{d.milestone_ids[1]}/fund").status_code == 403


def test_the_whole_flow_with_commission_half_up(deal, app):
    d = deal(amounts=(12345, 20000, 30000))  # 10 % of 123.45 is 12.345 → 12.35 (half-up)
    d.deposit(62345)
    d.fund(0)
    assert d.provider.post(f"/milestones/{d.milestone_ids[1]}/deliver", json={"note": "x"}).status_code == 409
    d.deliver(0, "First version")
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/request-changes", json={"note": ""})
    assert r.status_code == 422
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/request-changes", json={"note": "Logo too small"})
    assert r.json["status"] == "changes_requested"
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/accept").status_code == 409  # nothing to accept now
    d.deliver(0, "Second version, bigger logo")
    detail = d.milestone(0)
    assert [x["version"] for x in detail["deliveries"]] == [1, 2]
    assert [e["kind"] for e in detail["events"]] == ["funded", "delivered", "changes_requested", "delivered"]
    assert detail["auto_release_at"] is not None
    assert d.accept(0)["status"] == "released"
    provider = balances(d.provider)
    assert provider == {"provider_payable": 12345 - 1235}
    with app.app_context():
        assert ledger.balance(ledger.revenue("CNY")) == 1235
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/accept").status_code == 409  # never twice
    assert postings(app, "release") == 1

    # The rest: one released, one cancelled before funding → the contract completes.
    d.fund(1)
    d.deliver(1)
    d.accept(1)
    assert d.brand.get(f"/contracts/{d.contract_id}").json["status"] == "active"
    assert d.brand.post(f"/milestones/{d.milestone_ids[2]}/cancel").json["status"] == "cancelled"
    assert d.brand.get(f"/contracts/{d.contract_id}").json["status"] == "completed"
    assert balances(d.brand) == {"brand_wallet": 30000}


def test_deliver_validates_note_and_links(deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    mid = d.milestone_ids[0]
    assert d.provider.post(f"/milestones/{mid}/deliver", json={"note": ""}).status_code == 422
    r = d.provider.post(f"/milestones/{mid}/deliver", json={"note": "ok", "links": ["javascript:alert(1)"]})
    assert r.status_code == 422 and "links" in r.json["error"]["fields"]
    assert d.brand.post(f"/milestones/{mid}/deliver", json={"note": "mine"}).status_code == 403
    assert d.milestone(0)["status"] == "funded"


def test_strangers_see_nothing(deal, api, make_user):
    d = deal()
    stranger = api(make_user("brand"))
    mid = d.milestone_ids[0]
    assert stranger.get(f"/milestones/{mid}").status_code == 404
    assert stranger.post(f"/milestones/{mid}/fund").status_code == 404
    assert stranger.get(f"/contracts/{d.contract_id}").status_code == 404
    assert api(make_user("provider")).post(f"/milestones/{mid}/deliver", json={"note": "x"}).status_code == 404


def test_cancel_only_unfunded(deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/cancel").status_code == 409
    assert d.provider.post(f"/milestones/{d.milestone_ids[1]}/cancel").status_code == 403


def test_idempotency_key_replays_the_first_answer(deal, app):
    d = deal()
    d.deposit(150000_00)
    mid = d.milestone_ids[0]
    first = d.brand.post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "fund-1"})
    again = d.brand.post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "fund-1"})
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert postings(app, "fund") == 1
    d.deliver(0)
    a = d.brand.post(f"/milestones/{mid}/accept", headers={"Idempotency-Key": "accept-1"})
    b = d.brand.post(f"/milestones/{mid}/accept", headers={"Idempotency-Key": "accept-1"})
    assert (a.status_code, b.status_code) == (200, 200) and a.json == b.json
    assert postings(app, "release") == 1
    # the same key for another request is refused, and a new key on a settled milestone is a 409
    other = d.brand.post(f"/milestones/{d.milestone_ids[1]}/fund", headers={"Idempotency-Key": "accept-1"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert d.brand.post(f"/milestones/{mid}/accept", headers={"Idempotency-Key": "accept-2"}).status_code == 409
    # keys are per user: the provider's "accept-1" is its own
    assert d.provider.post(f"/milestones/{mid}/accept", headers={"Idempotency-Key": "accept-1"}).status_code == 403


def test_deposit_with_idempotency_key_is_recorded_once(deal, app):
    d = deal()
    body = {"user_id": d.brand_id, "amount": 1000_00, "currency": "CNY", "reference": "BANK-IDEMP"}
    codes = [d.staff.post("/admin/deposits", json=body, headers={"Idempotency-Key": "dep-1"}).status_code
             for _ in range(3)]
    assert codes == [201, 201, 201]
    assert balances(d.brand) == {"brand_wallet": 1000_00}


def test_ledger_summary_sums_to_zero_and_refuses_bad_postings(deal, app):
    d = deal()
    d.deposit(450000_00)
    for i in range(3):
        d.fund(i)
    d.deliver(0)
    d.accept(0)
    summary = d.staff.get("/ledger/summary").json
    assert summary["total"] == {"CNY": 0}
    by_name = {a["name"]: a["amount"] for a in summary["accounts"]}
    assert by_name == {"bank_clearing": -450000_00, "brand_wallet": 0, "escrow": 300000_00,
                       "platform_revenue": 15000_00, "provider_payable": 135000_00}
    assert d.brand.get("/ledger/summary").status_code == 403
    with app.app_context():
        assert ledger.unbalanced_postings() == []
        wallet = ledger.account("brand_wallet", "CNY", user_id=d.brand_id)
        with pytest.raises(ledger.UnbalancedPosting):
            ledger.post("bad:1", "bad", [(wallet, 100), (ledger.revenue("CNY"), -99)])
        with pytest.raises(ledger.UnbalancedPosting):
            ledger.post("bad:2", "bad", [(wallet, 100)])
        db.session.rollback()


def test_entries_are_append_only(deal, app):
    d = deal()
    d.deposit(1000)
    with app.app_context():
        entry = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).first()
        entry.amount = 5
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(LedgerPosting).order_by(LedgerPosting.id)).first())
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()


def test_a_posting_key_posts_once_enforced_by_the_database(deal, app):
    d = deal()
    d.deposit(1000, "BANK-ONCE")
    with app.app_context():
        wallet = ledger.account("brand_wallet", "CNY", user_id=d.brand_id)
        with pytest.raises(IntegrityError):
            ledger.post(funding.deposit_key("CNY", "BANK-ONCE"), "deposit",
                        [(ledger.clearing("bank_clearing", "CNY"), -1), (wallet, 1)])
        db.session.rollback()
    assert balances(d.brand) == {"brand_wallet": 1000}


def test_wallet_page_and_me_ledger(deal):
    d = deal()
    d.deposit(150000_00, "BANK-WALLET")
    d.fund(0)
    entries = d.brand.get("/me/ledger").json
    assert [(e["kind"], e["amount"]) for e in entries["items"]] == [("fund", -150000_00), ("deposit", 150000_00)]


def test_a_refusal_is_replayed_for_the_same_key(deal, app):
    """The first answer is the answer: a key that met insufficient funds keeps meeting it, even after
    a deposit; a new key tries again."""
    d = deal()
    mid = d.milestone_ids[0]
    first = d.brand.post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "fund-early"})
    assert first.status_code == 409 and first.json["error"]["code"] == "insufficient_funds"
    d.deposit(150000_00)
    again = d.brand.post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "fund-early"})
    assert (again.status_code, again.json) == (409, first.json)
    assert postings(app, "fund") == 0
    fresh = d.brand.post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "fund-after-deposit"})
    assert fresh.status_code == 200 and postings(app, "fund") == 1


def test_escrow_pays_out_once_even_if_the_state_were_wrong(deal, app):
    d = deal()
    d.deposit(150000_00)
    d.release(0)
    with app.app_context():  # simulate a lost update that put the milestone back to delivered
        db.session.execute(update(Milestone).where(Milestone.id == d.milestone_ids[0]).values(status="delivered"))
        db.session.commit()
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/accept")
    assert r.status_code == 409 and r.json["error"]["code"] == "escrow_empty"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "release")) == 1
