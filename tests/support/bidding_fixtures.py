"""A tender with a brand and a few providers, as API callers, for the bidding tests."""
import uuid
from dataclasses import dataclass, field

import pytest

from extensions import db
from models import Tender
from tests.support.factories import bid_payload, tender_payload


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


@dataclass
class Deal:
    """An awarded contract: the brand and provider as API callers, staff, and the milestones."""

    app: object
    brand: object
    provider: object
    staff: object
    brand_id: int
    contract_id: int
    milestone_ids: list

    def deposit(self, amount: int, reference: str | None = None):
        r = self.staff.post("/admin/deposits", json={"user_id": self.brand_id, "amount": amount, "currency": "CNY",
                                                     "reference": reference or f"BANK-{uuid.uuid4().hex[:10]}"})
        assert r.status_code == 201, r.json
        return r.json

    def fund(self, i: int):
        r = self.brand.post(f"/milestones/{self.milestone_ids[i]}/fund")
        assert r.status_code == 200, r.json
        return r.json

    def deliver(self, i: int, note: str = "Delivered: see the shared folder."):
        r = self.provider.post(f"/milestones/{self.milestone_ids[i]}/deliver",
                               json={"note": note, "links": ["https://pan.example.com/s/abc"]})
        assert r.status_code == 200, r.json
        return r.json

    def accept(self, i: int):
        r = self.brand.post(f"/milestones/{self.milestone_ids[i]}/accept")
        assert r.status_code == 200, r.json
        return r.json

    def release(self, i: int):
        """Fund, deliver and accept milestone i (the brand's wallet must hold its amount)."""
        self.fund(i)
        self.deliver(i)
        return self.accept(i)

    def milestone(self, i: int) -> dict:
        return self.brand.get(f"/milestones/{self.milestone_ids[i]}").json


@pytest.fixture
def deal(market, api, make_user):
    """deal(amounts=(…three milestone amounts…)) → a Deal on a freshly awarded contract."""

    def build(amounts=(150000_00, 150000_00, 150000_00)) -> Deal:
        m = market(1)
        total = sum(amounts)
        plan = [{"title": f"Milestone {i + 1}", "amount": a, "due_days": 10 * (i + 1)} for i, a in enumerate(amounts)]
        m.bid(0, total, milestones=plan)
        bid_id = m.providers[0].get(f"/tenders/{m.tender_id}/bids").json["items"][0]["id"]
        m.close()
        contract_id = m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": bid_id}).json["contract_id"]
        contract = m.brand.get(f"/contracts/{contract_id}").json
        return Deal(app=m.app, brand=m.brand, provider=m.providers[0], staff=api(make_user("admin")),
                    brand_id=contract["brand_id"], contract_id=contract_id,
                    milestone_ids=[ms["id"] for ms in contract["milestones"]])

    return build


@pytest.fixture
def track_record(app, api, make_user):
    """track_record(n, brands=1) → (provider Api, provider id, [(brand Api, contract id)…]) with n
    completed one-milestone contracts, each funded, delivered and accepted."""

    def build(n: int = 3, brands: int = 1, amount: int = 100000_00, provider=None):
        staff = api(make_user("admin"))
        brand_callers = [api(make_user("brand")) for _ in range(brands)]
        provider_user = provider or make_user("provider")
        seller = api(provider_user)
        done = []
        for i in range(n):
            brand = brand_callers[i % brands]
            tender = brand.post("/tenders", json=tender_payload(title=f"Job {i}")).json["id"]
            plan = [{"title": "All of it", "amount": amount, "due_days": 30}]
            bid = seller.post(f"/tenders/{tender}/bids", json=bid_payload(amount, milestones=plan)).json["id"]
            brand.post(f"/tenders/{tender}/close")
            contract = brand.post(f"/tenders/{tender}/award", json={"bid_id": bid}).json["contract_id"]
            milestone = brand.get(f"/contracts/{contract}").json["milestones"][0]["id"]
            staff.post("/admin/deposits", json={"user_id": brand.get("/me").json["id"], "amount": amount,
                                                "currency": "CNY", "reference": f"BANK-{contract}-{i}"})
            assert brand.post(f"/milestones/{milestone}/fund").status_code == 200
            seller.post(f"/milestones/{milestone}/deliver", json={"note": "done"})
            assert brand.post(f"/milestones/{milestone}/accept").status_code == 200
            done.append((brand, contract))
        return seller, provider_user.id, done

    return build
