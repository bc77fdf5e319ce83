"""Retainer and metered contracts made through the API, for the engagement tests (plain helpers: the
tests pass in their own `api` and `make_user` fixtures)."""
import uuid
from dataclasses import dataclass

from tests.support.factories import tender_payload

# The seed case's KPIs with terms: first-response time (lower is better) and conversion.
KPI_TERMS = [
    {"name": "first-response time", "target": 30, "unit": "s", "direction": "at_most",
     "bonus_bps": 1000, "penalty_bps": 500},
    {"name": "conversion", "target": 52, "unit": "%", "direction": "at_least", "bonus_bps": 500, "penalty_bps": 1000},
]
PROPOSAL = "A dedicated team of 40 agents, 09:00 to 24:00, with a QA lead and weekly reports."


@dataclass
class Periodic:
    app: object
    brand: object
    provider: object
    staff: object
    brand_id: int
    contract_id: int
    milestone_ids: list
    kpi_ids: list

    def deposit(self, amount: int):
        r = self.staff.post("/admin/deposits", json={"user_id": self.brand_id, "amount": amount, "currency": "CNY",
                                                     "reference": f"BANK-{uuid.uuid4().hex[:10]}"})
        assert r.status_code == 201, r.json

    def contract(self) -> dict:
        return self.brand.get(f"/contracts/{self.contract_id}").json

    def period(self, i: int) -> dict:
        return self.contract()["milestones"][i]

    def fund(self, i: int):
        r = self.brand.post(f"/milestones/{self.milestone_ids[i]}/fund")
        assert r.status_code == 200, r.json

    def deliver(self, i: int):
        r = self.provider.post(f"/milestones/{self.milestone_ids[i]}/deliver", json={"note": "Period report"})
        assert r.status_code == 200, r.json

    def accept(self, i: int):
        r = self.brand.post(f"/milestones/{self.milestone_ids[i]}/accept")
        assert r.status_code == 200, r.json

    def kpi(self, i: int, k: int, value):
        r = self.brand.post(f"/milestones/{self.milestone_ids[i]}/kpi-results",
                            json={"kpi_id": self.kpi_ids[k], "value": value})
        assert r.status_code == 201, r.json

    def usage(self, i: int, quantity: int, caller=None):
        return (caller or self.provider).post(f"/milestones/{self.milestone_ids[i]}/usage",
                                              json={"quantity": quantity, "note": "photos delivered"})


def periodic_contract(app, api, make_user, *, engagement="retainer", periods=3, period_days=30, kpis=None,
                      fee=100000_00, unit_price=50_00, cap=1000_00) -> Periodic:
    """A brand's retainer (fee per period) or metered (unit price, cap) tender, one bid, awarded."""
    brand, provider_user = api(make_user("brand")), make_user("provider")
    provider = api(provider_user)
    extra = {"unit": "photo", "category": "photography"} if engagement == "metered" else {}
    r = brand.post("/tenders", json=tender_payload(engagement=engagement, periods=periods, period_days=period_days,
                                                   kpis=KPI_TERMS if kpis is None else kpis, rounds=["proposal"],
                                                   **extra))
    assert r.status_code == 201, r.json
    tender = r.json
    body = {"currency": "CNY", "delivery_days": 30, "proposal": PROPOSAL}
    body |= {"unit_price": unit_price, "cap_per_period": cap} if engagement == "metered" else {"amount": fee}
    r = provider.post(f"/tenders/{tender['id']}/bids", json=body)
    assert r.status_code == 201, r.json
    assert brand.post(f"/tenders/{tender['id']}/close").status_code == 200
    r = brand.post(f"/tenders/{tender['id']}/award", json={"bid_id": r.json["id"]})
    assert r.status_code == 201, r.json
    contract = brand.get(f"/contracts/{r.json['contract_id']}").json
    return Periodic(app=app, brand=brand, provider=provider, staff=api(make_user("admin")),
                    brand_id=contract["brand_id"], contract_id=contract["id"],
                    milestone_ids=[m["id"] for m in contract["milestones"]], kpi_ids=[k["id"] for k in tender["kpis"]])
