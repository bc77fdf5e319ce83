"""Brands withdraw unspent wallet money (issue 18, item 1): held from request, at most the available
balance, staff approve or refuse (audited), approved ones ride the payout batch and its bank file, and
a refused or failed one comes back to the wallet — every move a keyed, balanced posting."""
import csv
import io

import pytest
from sqlalchemy import func, select

from extensions import db
from models import FundRequest, LedgerPosting, Organisation, Payout, StaffAction, User, Withdrawal
from services import ledger, payout_accounts, payouts
from services.runners import payout_batch
from tests.support.ledger import balances, reconcile
from tests.support.web import csrf_token, form_post, switch
from tests.test_concurrency import post_json_answer, race


def top_up(app, brand_id: int, amount: int, key: str = "test") -> None:
    """Money in the brand's wallet as a bank transfer would bring it."""
    with app.app_context():
        ledger.post(f"deposit:CNY:{key}{brand_id}", "deposit",
                    [(ledger.clearing("bank_clearing", "CNY"), -amount),
                     (ledger.account("brand_wallet", "CNY", user_id=brand_id), amount)])
        db.session.commit()


def give_bank_account(app, brand_id: int) -> None:
    with app.app_context():
        payout_accounts.save_bank_details(db.session.get(User, brand_id), account_name="Brand Ltd",
                                          bank_name="ICBC Hangzhou", account_number="6222000011112222",
                                          vouched=True)
        db.session.commit()


@pytest.fixture
def funded_brand(app, api, make_user):
    """A brand with 1000.00 CNY in its wallet and its bank account entered; its API caller and staff's."""
    user = make_user("brand")
    top_up(app, user.id, 1000_00)
    give_bank_account(app, user.id)
    return api(user), user.id, api(make_user("admin"))


def run_batch(app) -> dict:
    with app.app_context():
        return payout_batch.run_batch(payout_batch.start_batch(None).id)


def test_a_withdrawal_is_held_at_once_and_refused_it_comes_back(app, funded_brand):
    brand, brand_id, staff = funded_brand
    r = brand.post("/wallet/withdrawals", json={"amount": 300_00, "currency": "CNY"})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "requested" and r.json["amount"] == 300_00
    assert balances(brand) == {"brand_wallet": 700_00, "withdrawal_hold": 300_00}
    # the held money cannot be withdrawn again
    r2 = brand.post("/wallet/withdrawals", json={"amount": 700_01, "currency": "CNY"})
    assert r2.status_code == 409 and r2.json["error"]["code"] == "insufficient_funds"
    refused = staff.post(f"/admin/withdrawals/{r.json['id']}/refuse", json={"reason": "Account name differs"})
    assert refused.status_code == 200 and refused.json["status"] == "refused"
    assert balances(brand) == {"brand_wallet": 1000_00, "withdrawal_hold": 0}
    again = staff.post(f"/admin/withdrawals/{r.json['id']}/approve", json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_decided"
    with app.app_context():
        keys = set(db.session.scalars(select(LedgerPosting.key).where(LedgerPosting.kind.like("withdrawal%"))))
        assert keys == {f"withdrawal:{r.json['id']}", f"withdrawal-refused:{r.json['id']}"}
        action = db.session.scalars(select(StaffAction).where(StaffAction.action == "withdrawal.refuse")).one()
        assert action.subject_id == r.json["id"] and action.after["status"] == "refused"
    assert reconcile(app).ok


def test_an_approved_withdrawal_rides_the_batch_and_bank_file_and_is_paid_once(app, funded_brand):
    brand, brand_id, staff = funded_brand
    first = brand.post("/wallet/withdrawals", json={"amount": 200_00, "currency": "CNY"}).json
    second = brand.post("/wallet/withdrawals", json={"amount": 50_00, "currency": "CNY"}).json
    for w in (first, second):
        assert staff.post(f"/admin/withdrawals/{w['id']}/approve", json={"note": "ok"}).status_code == 200
    run_batch(app)
    with app.app_context():
        payout = db.session.scalars(select(Payout).where(Payout.kind == "withdrawal")).one()
        assert (payout.provider_id, payout.amount, payout.method) == (brand_id, 250_00, "bank")
        assert payout.destination == "6222000011112222" and payout.payee_name == "Brand Ltd"
        rows = list(csv.DictReader(io.StringIO(payouts.bank_file(payout.batch_id))))
        assert [(r["payout_id"], r["account_number"], r["amount"]) for r in rows] == [
            (str(payout.id), "6222000011112222", "250.00")]
        payout_id = payout.id
    run_batch(app)  # a second batch finds nothing more to take
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payout)) == 1
    assert balances(brand) == {"brand_wallet": 750_00, "withdrawal_hold": 0}
    paid = staff.post(f"/admin/payouts/{payout_id}/paid", json={"reference": "BANK-77"})
    assert paid.status_code == 200, paid.json
    listed = brand.get("/wallet/withdrawals").json["items"]
    assert {w["status"] for w in listed} == {"paid"} and {w["payout_id"] for w in listed} == {payout_id}
    assert staff.post(f"/admin/payouts/{payout_id}/paid", json={"reference": "BANK-77"}).status_code == 409
    assert reconcile(app).ok, reconcile(app).differences


def test_a_failed_withdrawal_payout_returns_the_money_to_the_wallet(app, funded_brand):
    brand, _brand_id, staff = funded_brand
    w = brand.post("/wallet/withdrawals", json={"amount": 400_00, "currency": "CNY"}).json
    staff.post(f"/admin/withdrawals/{w['id']}/approve", json={})
    run_batch(app)
    with app.app_context():
        payout_id = db.session.scalar(select(Payout.id))
    r = staff.post(f"/admin/payouts/{payout_id}/failed", json={"reason": "Account closed"})
    assert r.status_code == 200, r.json
    assert balances(brand) == {"brand_wallet": 1000_00, "withdrawal_hold": 0}
    assert brand.get("/wallet/withdrawals").json["items"][0]["status"] == "failed"
    result = reconcile(app)
    assert result.ok, result.differences


@pytest.mark.parametrize("body, field", [
    ({"amount": 0, "currency": "CNY"}, "amount"),
    ({"amount": -5, "currency": "CNY"}, "amount"),
    ({"amount": 1.5, "currency": "CNY"}, "amount"),
    ({"amount": "100", "currency": "CNY"}, "amount"),
    ({"amount": 100, "currency": "XXX"}, "currency"),
    ({"amount": 100}, "currency"),
])
def test_bad_withdrawals_are_refused_and_change_nothing(app, funded_brand, body, field):
    brand, _id, _staff = funded_brand
    r = brand.post("/wallet/withdrawals", json=body)
    assert r.status_code in (400, 422) and field in (r.json["error"].get("fields") or {}), r.json
    assert balances(brand) == {"brand_wallet": 1000_00}


def test_a_missing_bank_account_stops_a_withdrawal_and_only_brands_withdraw(app, api, make_user):
    lonely = make_user("brand")
    top_up(app, lonely.id, 10_00)
    r = api(lonely).post("/wallet/withdrawals", json={"amount": 5_00, "currency": "CNY"})
    assert r.status_code == 409 and r.json["error"]["code"] == "no_bank_account"
    assert balances(api(lonely)) == {"brand_wallet": 10_00}
    provider = api(make_user("provider"))
    assert provider.post("/wallet/withdrawals", json={"amount": 5_00, "currency": "CNY"}).status_code == 403


def test_money_asked_for_by_a_funding_waiting_for_a_second_member_is_not_available(app, deal):
    d = deal()
    top_up(app, d.brand_id, 500000_00)
    give_bank_account(app, d.brand_id)
    with app.app_context():  # the first member asked to fund milestone 1 (150 000.00); a second must confirm
        organisation = db.session.scalar(select(Organisation).where(Organisation.account_user_id == d.brand_id))
        db.session.add(FundRequest(milestone_id=d.milestone_ids[0], organisation_id=organisation.id,
                                   requested_by_id=d.brand_id))
        db.session.commit()
    r = d.brand.post("/wallet/withdrawals", json={"amount": 350000_01, "currency": "CNY"})
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_funds"
    assert d.brand.post("/wallet/withdrawals", json={"amount": 350000_00, "currency": "CNY"}).status_code == 201


def test_thirty_parallel_withdrawals_never_take_more_than_the_balance(app, funded_brand, live_server):
    brand, brand_id, _staff = funded_brand
    url = f"{live_server.url}/api/v1/wallet/withdrawals"
    # The token's first use records it on a second pooled connection; 30 requests doing that at once would
    # wait on each other for the pool (a limit of the token bookkeeping, not of withdrawals): use it once.
    assert brand.get("/wallet/withdrawals").status_code == 200
    answers = race(30, lambda i: post_json_answer(url, brand.token, {"amount": 70_00, "currency": "CNY"}))
    codes = sorted(status for status, _ in answers)
    assert codes == [201] * 14 + [409] * 16, codes  # 14 × 70.00 = 980.00 ≤ 1000.00 < 15 × 70.00
    assert balances(brand) == {"brand_wallet": 20_00, "withdrawal_hold": 980_00}
    # replayed with one Idempotency-Key: one withdrawal, the same answer
    replays = race(5, lambda i: post_json_answer(url, brand.token, {"amount": 10_00, "currency": "CNY"},
                                                 **{"Idempotency-Key": "w-replay"}))
    assert {a["id"] for s, a in replays if s == 201} and len({a["id"] for s, a in replays if s == 201}) == 1, replays
    assert balances(brand) == {"brand_wallet": 10_00, "withdrawal_hold": 990_00}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Withdrawal)) == 15
    assert reconcile(app).ok


def test_the_wallet_page_takes_a_withdrawal_and_staff_approve_it_on_their_page(app, client, login, make_user):
    user = make_user("brand")
    top_up(app, user.id, 100_00)
    login(user)
    page = client.get("/wallet").get_data(as_text=True)
    assert 'data-testid="no-bank-account"' in page
    give_bank_account(app, user.id)
    r = form_post(client, "/wallet/withdrawals", {"amount": "1,000", "currency": "CNY"}, page="/wallet")
    assert r.status_code == 422
    r = form_post(client, "/wallet/withdrawals", {"amount": "150.00", "currency": "CNY"}, page="/wallet")
    assert r.status_code == 422 and "可用余额" in r.get_data(as_text=True)  # the form says why, in the user's language
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Withdrawal)) == 0
    r = form_post(client, "/wallet/withdrawals", {"amount": "60.50", "currency": "CNY"}, page="/wallet")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        withdrawal = db.session.scalars(select(Withdrawal)).one()
        assert (withdrawal.amount, withdrawal.status) == (60_50, "requested")
    switch(client, make_user("admin"))
    queue = client.get("/admin/withdrawals").get_data(as_text=True)
    assert f'data-testid="withdrawal-{withdrawal.id}"' in queue and "6222000011112222" in queue
    r = client.post(f"/admin/withdrawals/{withdrawal.id}/approve",
                    data={"csrf_token": csrf_token(client, "/admin/withdrawals"), "note": ""})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Withdrawal, withdrawal.id).status == "approved"
        assert db.session.scalar(select(func.count()).select_from(StaffAction)
                                 .where(StaffAction.action == "withdrawal.approve")) == 1
