"""Buying a contest entry that won no prize (issue 19): the brand offers a price once the contest is
decided, the entrant accepts (a one-milestone contract, funded from the brand's wallet in ONE balanced
posting keyed `prize:contest:<id>:buy:<entry id>`), declines, or lets it expire; the brand may withdraw
while it stands. The milestone's rules follow: the original downloads only after release."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import ContestPurchase, Contract, LedgerPosting, Notification, WebhookEvent
from services import contract_documents, ledger
from tests.support.ledger import balances
from tests.support.web import form_post, signed_in
from tests.test_concurrency import post_json
from workers import jobs

PRICE = 50000


def _decided(contest_race, *, extra_funds=200000, n=3):
    """A contest awarded to its first two entries; entry 3 (and any after) won nothing. The brand's
    wallet holds `extra_funds` after the prizes left it."""
    race = contest_race(n, fund=400000 + extra_funds)
    ids = [race.enter(i, colour=(60 * i, 90, 160)) for i in range(n)]
    race.close_entries()
    assert race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": ids[:2]}).status_code == 200
    return race, ids


def _offer(race, entry_id, price=PRICE, **body):
    return race.brand.post(f"/contests/{race.contest_id}/entries/{entry_id}/offers", json={"price": price, **body})


def _buy_postings(app, contest_id):
    with app.app_context():
        return db.session.scalars(select(LedgerPosting).where(
            LedgerPosting.key.startswith(f"prize:contest:{contest_id}:buy:"))).all()


def test_the_brand_buys_a_non_winning_entry_as_a_funded_one_milestone_contract(app, contest_race):
    race, ids = _decided(contest_race)
    loser = ids[2]
    r = _offer(race, loser, message="We love the green one.")
    assert r.status_code == 201, r.json
    offer = r.json
    assert offer["status"] == "offered" and offer["price"] == PRICE and offer["currency"] == "CNY"
    assert offer["provider_id"] == race.provider_ids[2] and offer["contract_id"] is None
    assert balances(race.brand)["brand_wallet"] == 200000  # nothing moves on the offer
    # the entrant sees it; the other entrants do not
    mine = race.providers[2].get(f"/contests/{race.contest_id}/offers").json
    assert [o["id"] for o in mine["items"]] == [offer["id"]] and mine["items"][0]["message"] == "We love the green one."
    assert race.providers[0].get(f"/contests/{race.contest_id}/offers").json["items"] == []
    assert race.brand.get(f"/contests/{race.contest_id}/offers").json["total"] == 1

    r = race.providers[2].post(f"/contests/{race.contest_id}/offers/{offer['id']}/accept")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "accepted" and r.json["contract_id"]
    contract = race.brand.get(f"/contracts/{r.json['contract_id']}").json
    assert contract["title"] == "Logo for a tea shop" and contract["tender_id"] is None
    assert contract["contest_entry_id"] == loser and contract["provider_id"] == race.provider_ids[2]
    assert contract["amount"] == PRICE and len(contract["milestones"]) == 1
    milestone = contract["milestones"][0]
    assert milestone["status"] == "funded" and milestone["amount"] == PRICE

    # one balanced posting, keyed by the contest and the entry: wallet → the milestone's escrow
    postings = _buy_postings(app, race.contest_id)
    assert [p.key for p in postings] == [f"prize:contest:{race.contest_id}:buy:{loser}"]
    with app.app_context():
        posting = db.session.scalar(select(LedgerPosting).where(LedgerPosting.key == postings[0].key))
        legs = {e.account.kind: e.amount for e in posting.entries}
        assert legs == {"brand_wallet": -PRICE, "escrow": PRICE} and posting.milestone_id == milestone["id"]
        assert ledger.unbalanced_postings() == []
    assert balances(race.brand)["brand_wallet"] == 200000 - PRICE  # debited once

    # the other side hears of each step; the contract.created webhook names the bought entry
    with app.app_context():
        told = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
        assert (race.provider_ids[2], "contest_offer_received") in told
        assert (race.brand_id, "contest_offer_accepted") in told
        event = db.session.scalar(select(WebhookEvent).where(WebhookEvent.type == "contract.created"))
        assert event.data["contract"]["contest_entry_id"] == loser and event.data["contract"]["tender_id"] is None
        assert sorted(event.audience) == sorted([race.brand_id, race.provider_ids[2]])

    # the contract document renders for a contract without a tender
    with app.app_context():
        assert contract_documents.render(db.session.get(Contract, contract["id"]))[:4] == b"%PDF"

    # the original is the brand's only once the milestone is released
    def brand_url():
        items = race.brand.get(f"/contests/{race.contest_id}/entries").json["items"]
        return next(e for e in items if e["id"] == loser)["files"][0]["url"]
    assert brand_url() is None
    assert race.providers[2].post(f"/milestones/{milestone['id']}/deliver",
                                  json={"note": "Full-resolution PNG and the SVG source."}).status_code == 200
    assert brand_url() is None
    assert race.brand.post(f"/milestones/{milestone['id']}/accept").status_code == 200
    url = brand_url()
    assert url and race.brand.get(url.removeprefix("/api/v1")).status_code == 200
    assert race.brand.get(f"/contracts/{contract['id']}").json["status"] == "completed"


def test_an_entry_can_be_bought_only_after_the_award_and_only_if_it_won_nothing(app, contest_race, api, make_user):
    race = contest_race(3, fund=1000000)
    ids = [race.enter(i) for i in range(3)]
    r = _offer(race, ids[2])
    assert r.status_code == 409 and r.json["error"]["code"] == "contest_not_decided"  # still open
    race.close_entries()
    assert _offer(race, ids[2]).json["error"]["code"] == "contest_not_decided"  # selecting
    race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": ids[:2]})
    r = _offer(race, ids[0])
    assert r.status_code == 409 and r.json["error"]["code"] == "entry_won"
    # someone else's contest: 404; a bad price: 422
    other = api(make_user("brand"))
    assert other.post(f"/contests/{race.contest_id}/entries/{ids[2]}/offers", json={"price": PRICE}).status_code == 404
    assert _offer(race, ids[2], price=0).status_code in (400, 422)
    assert _offer(race, 999999).status_code == 404
    # one open offer per entry
    assert _offer(race, ids[2]).status_code == 201
    r = _offer(race, ids[2], price=PRICE * 2)
    assert r.status_code == 409 and r.json["error"]["code"] == "offer_open"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContestPurchase)) == 1


def test_only_the_entrant_answers_and_an_offer_is_answered_once(app, contest_race, api, make_user):
    race, ids = _decided(contest_race)
    offer_id = _offer(race, ids[2]).json["id"]
    base = f"/contests/{race.contest_id}/offers/{offer_id}"
    # another entrant, or a stranger provider: 404; the brand cannot accept for the entrant
    assert race.providers[0].post(f"{base}/accept").status_code == 404
    assert api(make_user("provider")).post(f"{base}/accept").status_code == 404
    assert race.brand.post(f"{base}/accept").status_code == 403
    assert race.providers[2].post(f"{base}/withdraw").status_code == 403
    assert api(make_user("brand")).post(f"{base}/withdraw").status_code == 404
    assert race.providers[2].post(f"{base}/accept").status_code == 200
    again = race.providers[2].post(f"{base}/accept")
    assert again.status_code == 409 and again.json["error"]["code"] == "illegal_transition"
    assert race.brand.post(f"{base}/withdraw").status_code == 409
    assert race.providers[2].post(f"{base}/decline").status_code == 409
    assert len(_buy_postings(app, race.contest_id)) == 1
    assert balances(race.brand)["brand_wallet"] == 200000 - PRICE
    # bought: no second offer on it
    r = _offer(race, ids[2])
    assert r.status_code == 409 and r.json["error"]["code"] == "entry_bought"


def test_a_wallet_short_of_the_price_refuses_the_acceptance_and_changes_nothing(app, contest_race):
    race, ids = _decided(contest_race, extra_funds=10000)
    offer_id = _offer(race, ids[2]).json["id"]
    r = race.providers[2].post(f"/contests/{race.contest_id}/offers/{offer_id}/accept")
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_funds"
    assert balances(race.brand)["brand_wallet"] == 10000
    assert _buy_postings(app, race.contest_id) == []
    with app.app_context():
        purchase = db.session.get(ContestPurchase, offer_id)
        assert purchase.status == "offered" and purchase.contract_id is None
        assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
    race.deposit(PRICE)  # the brand tops up: the same offer can now be accepted
    assert race.providers[2].post(f"/contests/{race.contest_id}/offers/{offer_id}/accept").status_code == 200
    assert balances(race.brand)["brand_wallet"] == 10000


def test_decline_withdraw_and_expiry_end_an_offer_without_moving_money(app, contest_race):
    race, ids = _decided(contest_race, n=4)
    declined = _offer(race, ids[2]).json["id"]
    r = race.providers[2].post(f"/contests/{race.contest_id}/offers/{declined}/decline")
    assert r.status_code == 200 and r.json["status"] == "declined"
    withdrawn = _offer(race, ids[2], price=PRICE * 2).json["id"]  # a new offer after a refusal is fine
    r = race.brand.post(f"/contests/{race.contest_id}/offers/{withdrawn}/withdraw")
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    assert race.providers[2].post(f"/contests/{race.contest_id}/offers/{withdrawn}/accept").status_code == 409

    stale = _offer(race, ids[3]).json["id"]
    with app.app_context():
        db.session.get(ContestPurchase, stale).expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    r = race.providers[3].post(f"/contests/{race.contest_id}/offers/{stale}/accept")
    assert r.status_code == 409 and r.json["error"]["code"] == "offer_expired"
    with app.app_context():
        swept = jobs.award_due_contests()
    assert swept["offers_expired"] == 1
    with app.app_context():
        assert db.session.get(ContestPurchase, stale).status == "expired"
    assert _offer(race, ids[3]).status_code == 201  # an expired offer leaves room for a new one
    assert _buy_postings(app, race.contest_id) == []
    assert balances(race.brand)["brand_wallet"] == 200000


def test_the_contest_page_offers_accepts_and_withdraws(app, contest_race):
    race, ids = _decided(contest_race)
    brand = signed_in(app, race.brand_id)
    page = f"/contests/{race.contest_id}"
    html = brand.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    # "Offer to buy" only on the entry that won nothing
    assert f'/contests/{race.contest_id}/entries/{ids[2]}/offers"' in html
    assert f'/entries/{ids[0]}/offers"' not in html and f'/entries/{ids[1]}/offers"' not in html
    r = form_post(brand, f"{page}/entries/{ids[2]}/offers", {"price": "500.00", "message": "Yours for 500?"},
                  page=page)
    assert r.status_code == 302
    with app.app_context():
        purchase = db.session.scalar(select(ContestPurchase))
        assert (purchase.price, purchase.message) == (PRICE, "Yours for 500?")
        offer_id = purchase.id
    html = brand.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/offers/{offer_id}/withdraw" in html and "Offer waiting for an answer" in html
    assert f'/entries/{ids[2]}/offers"' not in html  # one open offer per entry

    entrant = signed_in(app, race.provider_ids[2])
    html = entrant.get(page, headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert f"/offers/{offer_id}/accept" in html and f"/offers/{offer_id}/decline" in html
    rival = signed_in(app, race.provider_ids[0])
    assert f"/offers/{offer_id}/" not in rival.get(page).get_data(as_text=True)
    r = form_post(entrant, f"{page}/offers/{offer_id}/accept", {}, page=page)
    assert r.status_code == 302 and "/contracts/" in r.headers["Location"]
    contract_page = entrant.get(r.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Logo for a tea shop" in contract_page
    # the contract names the entry it bought and links back to it
    assert f'href="/contests/{race.contest_id}#entry-{ids[2]}"' in contract_page and "Bought on" in contract_page
    html = brand.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Offer accepted" in html and f"/offers/{offer_id}/withdraw" not in html
    assert balances(race.brand)["brand_wallet"] == 200000 - PRICE


def test_the_brand_withdraws_through_the_page(app, contest_race):
    race, ids = _decided(contest_race)
    offer_id = _offer(race, ids[2]).json["id"]
    brand, page = signed_in(app, race.brand_id), f"/contests/{race.contest_id}"
    assert form_post(brand, f"{page}/offers/{offer_id}/withdraw", {}, page=page).status_code == 302
    entrant = signed_in(app, race.provider_ids[2])
    assert form_post(entrant, f"{page}/offers/{offer_id}/decline", {}, page=page).status_code == 302
    with app.app_context():
        assert db.session.get(ContestPurchase, offer_id).status == "withdrawn"


@pytest.mark.postgres
def test_parallel_accepts_and_a_racing_withdraw_fund_exactly_once(app, contest_race, live_server):
    """24 accepts (one entrant, many tabs) and the brand's withdraw at the same instant: either the
    offer was accepted — one contract, one posting, the wallet debited once — or withdrawn with no money
    moved; never both."""
    race, ids = _decided(contest_race)
    offer_id = _offer(race, ids[2]).json["id"]
    n = 24
    base = f"{live_server.url}/api/v1/contests/{race.contest_id}/offers/{offer_id}"
    barrier = threading.Barrier(n + 1)

    def accept(_i):
        barrier.wait()
        return post_json(f"{base}/accept", race.providers[2].token, {})

    def withdraw():
        barrier.wait()
        return post_json(f"{base}/withdraw", race.brand.token, {})

    with ThreadPoolExecutor(max_workers=n + 1) as pool:
        accepts = [pool.submit(accept, i) for i in range(n)]
        withdrawn = pool.submit(withdraw)
        codes, withdraw_code = [a.result() for a in accepts], withdrawn.result()
    assert all(code in (200, 409) for code in codes + [withdraw_code]), (codes, withdraw_code)
    assert codes.count(200) + (withdraw_code == 200) == 1, (codes, withdraw_code)
    postings = _buy_postings(app, race.contest_id)
    with app.app_context():
        purchase = db.session.get(ContestPurchase, offer_id)
        contracts = db.session.scalars(select(Contract).where(Contract.contest_entry_id == ids[2])).all()
        if withdraw_code == 200:
            assert purchase.status == "withdrawn" and contracts == [] and postings == []
        else:
            assert purchase.status == "accepted" and [c.id for c in contracts] == [purchase.contract_id]
            assert len(postings) == 1
        assert ledger.unbalanced_postings() == []
    assert balances(race.brand)["brand_wallet"] == 200000 - (0 if withdraw_code == 200 else PRICE)

