"""The tender form takes an engagement and KPI terms; the bid form asks a metered tender's bidders for a
unit price and a cap, a retainer's for a fee per period, and neither for a milestone plan."""
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import Bid, Tender
from models.types import utcnow
from tests.support.web import form_post, switch

PROPOSAL = "A dedicated studio team shooting on white and on models, with retouching in 48 hours."


def _tender_form(**fields) -> dict:
    deadline = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    return {"title": "Product photography, metered", "category": "photography", "currency": "CNY",
            "description": "Photos of every new product, on white and on models.", "budget_min": "1000",
            "budget_max": "5000", "bid_deadline": deadline, "rounds": "proposal", **fields}


def test_a_metered_tender_and_its_bid_through_the_forms(client, login, make_user, app):
    login(make_user("brand"))
    r = form_post(client, "/tenders/new", _tender_form(engagement="metered", period_days="30", periods="4"))
    assert r.status_code == 422  # no unit
    r = form_post(client, "/tenders/new", _tender_form(
        engagement="metered", period_days="30", periods="4", unit="photo", **{
            "kpis-0-name": "on-time delivery", "kpis-0-target": "95", "kpis-0-unit": "%",
            "kpis-0-direction": "at_least", "kpis-0-bonus_pct": "5", "kpis-0-penalty_pct": "2.5"}))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        tender = db.session.scalars(select(Tender)).one()
        assert (tender.engagement, tender.periods, tender.period_days, tender.unit) == ("metered", 4, 30, "photo")
        assert (tender.kpis[0].bonus_bps, tender.kpis[0].penalty_bps) == (500, 250)
        tender_id = tender.id

    switch(client, make_user("provider"))
    page = client.get(f"/tenders/{tender_id}/bid", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Price per unit" in page and "Milestone plan" not in page
    r = form_post(client, f"/tenders/{tender_id}/bid", {"unit_price": "50", "cap_per_period": "1000",
                                                        "delivery_days": "30", "proposal": PROPOSAL})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with app.app_context():
        bid = db.session.scalars(select(Bid)).one()
        assert (bid.unit_price, bid.cap_per_period, bid.amount, bid.milestones) == (50_00, 1000_00, 1000_00, [])
