"""A tender with a brand and a few providers, as API callers, for the bidding tests."""
from dataclasses import dataclass, field

import pytest

from extensions import db
from models import Tender
from tests.factories import bid_payload, tender_payload


@dataclass
class Market:
    app: object
    brand: object  # Api of the tender's brand
    providers: list = field(default_factory=list)  # Api per provider
    provider_users: list = field(default_factory=list)
    tender_id: int = 0

    def bid(self, i: int, amount: int = 450000_00, **overrides):
        r = self.providers[i].post(f"/tenders/{self.tender_id}/bids", json=bid_payload(amount, **overrides))
        assert r.status_code == 201, r.json
        return r.json

    def close(self):
        assert self.brand.post(f"/tenders/{self.tender_id}/close").status_code == 200

    def set_tender(self, **columns):
        with self.app.app_context():
            tender = db.session.get(Tender, self.tender_id)
            for name, value in columns.items():
                setattr(tender, name, value)
            db.session.commit()


@pytest.fixture
def market(app, api, make_user):
    """market(n_providers=3, **tender overrides) → a Market with an open tender."""

    def build(n_providers: int = 3, **tender_overrides) -> Market:
        brand = api(make_user("brand"))
        users = [make_user("provider") for _ in range(n_providers)]
        r = brand.post("/tenders", json=tender_payload(**tender_overrides))
        assert r.status_code == 201, r.json
        return Market(app=app, brand=brand, providers=[api(u) for u in users], provider_users=users,
                      tender_id=r.json["id"])

    return build
