"""The demo data loaded once per module, the demo logins, and the pages each role can open on it
(tests/test_demo_pages.py renders them all; tests/test_page_widths.py lays them out in Chromium)."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Bid, BrandProfile, Contest, Contract, Conversation, Tender, User
from services import disputes
from tests.support.backends import empty_database

LOGINS = {"admin": "staff@witkey.demo", "brand": "moshan@witkey.demo", "provider": "guangying@witkey.demo",
          "brand_big": "hanfeng@witkey.demo"}


@pytest.fixture(scope="module")
def demo(app):
    empty_database(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        contract = db.session.scalars(select(Contract).order_by(Contract.id)).first()
        milestone = contract.milestones[0]

        dispute = disputes.open_dispute(db.session.get(User, contract.brand_id), milestone.id, "quality", "Blurry")
        db.session.commit()
        ids = {"contract": contract.id, "milestone": milestone.id, "dispute": dispute.id,
               "provider": contract.provider_id, "brand": contract.brand_id,
               "pending_brand": db.session.scalar(select(BrandProfile.user_id)
                                                  .where(BrandProfile.verification_status == "pending")),
               "tenders": [t.id for t in db.session.scalars(select(Tender))],
               "contests": [c.id for c in db.session.scalars(select(Contest))],
               "tender_brands": {t.id: t.brand_id for t in db.session.scalars(select(Tender))},
               "users": {u.email: u.id for u in db.session.scalars(select(User))},
               "bids": [b.id for b in db.session.scalars(select(Bid))],
               "bid_providers": {b.id: b.provider_id for b in db.session.scalars(select(Bid))},
               # retainer and metered contracts (demo/engagements.py): their pages, by who is a party
               "periodic": {c.id: (c.brand_id, c.provider_id) for c in db.session.scalars(
                   select(Contract).where(Contract.engagement != "fixed"))},
               # the demo's contract threads (demo/seed.py), by who is a party
               "conversations": {c.id: (c.brand_id, c.provider_id) for c in db.session.scalars(select(Conversation))}}
        ids["final_offers"] = {}
        for bid in db.session.scalars(select(Bid).where(Bid.bafo_round_id.is_not(None))):
            ids["final_offers"].setdefault(bid.provider_id, []).append(bid.id)
    return ids


def pages_for(role: str, ids: dict) -> list[str]:
    common = ["/", "/tenders", "/tenders?status=", "/providers", f"/providers/{ids['provider']}", "/notifications",
              "/account", "/wallet", f"/brands/{ids['brand']}", "/tenders?sort=brand_score&min_brand_score=50"] + [
        f"/tenders/{t}" for t in ids["tenders"]] + ["/contests"] + [f"/contests/{c}" for c in ids["contests"]]
    account = ids["users"].get(LOGINS.get(role, ""))
    periodic = [f"/contracts/{c}" for c, parties in ids.get("periodic", {}).items()
                if role == "admin" or account in parties]
    threads = [f"/conversations/{c}" for c, parties in ids.get("conversations", {}).items() if account in parties]
    if role == "admin":
        return common + ["/conversations/reported", "/admin/providers", "/admin/brands",
                         f"/admin/brands/{ids['pending_brand']}", f"/admin/providers/{ids['provider']}",
                         "/admin/deposits", "/admin/bank-statements",
                         "/admin/withdrawals", "/admin/margins",
                         "/disputes/queue", f"/disputes/{ids['dispute']}",
                         f"/contracts/{ids['contract']}", "/reviews/reports", "/admin/contest-reports",
                         "/finance"] + periodic
    me = ids["users"][LOGINS[role]]
    if role.startswith("brand"):
        return common + ["/tenders/mine", "/tenders/new", "/contests/new", "/contracts", "/account/profile",
                         "/statements", "/conversations"] + threads + [
            f"/tenders/{t}/evaluate" for t in ids["tenders"]] + [
            f"/tenders/{t}/scorecard" for t, brand in ids["tender_brands"].items() if brand == me] + periodic
    # the provider's own bids (one in a best-and-final round: its final-offer form)
    return common + ["/bids/mine", "/contracts", "/account/profile", "/statements", "/conversations"] + threads + [
        f"/bids/{b}" for b, provider in ids["bid_providers"].items() if provider == me] + [
        f"/bids/{b}/final-offer" for b in ids["final_offers"].get(me, [])] + periodic
