"""The demo holds the seed case's customer-service contract as a six-period retainer with four periods of
history (first-response time 59.71 s → 24.79 s, conversion 50.81 % → 54.38 %), and a metered photography
contract per photo, both visible on their contract pages."""
import pytest
from sqlalchemy import select

from demo.seed import DEMO_PASSWORD
from extensions import db
from models import Contract, KpiResult
from services import ledger, period_money
from tests.support.demo_data import LOGINS
from tests.support.web import finish_login, form_post

pytestmark = pytest.mark.shared_data


def test_the_demo_retainer_has_four_periods_of_history(app, demo, client):
    with app.app_context():
        retainer = db.session.scalars(select(Contract).where(Contract.engagement == "retainer")).one()
        assert [m.status for m in retainer.milestones] == ["released"] * 4 + ["funded", "pending"]
        assert retainer.auto_fund
        results = db.session.scalars(select(KpiResult).where(KpiResult.contract_id == retainer.id)
                                     .order_by(KpiResult.milestone_id, KpiResult.kpi_id)).all()
        assert [float(r.value) for r in results[::2]] == [59.71, 45.2, 33.6, 24.79]
        assert [float(r.value) for r in results[1::2]] == [50.81, 52.3, 53.1, 54.38]
        # period 1 missed both (−5 % −10 %), period 4 met both (+10 % +5 %)
        assert retainer.milestones[0].released_amount == 75000_00 - 3750_00 - 7500_00
        assert retainer.milestones[3].released_amount == 75000_00 + 7500_00 + 3750_00
        assert all(ledger.balance(ledger.escrow(m)) == 0 for m in retainer.milestones[:4])
        metered = db.session.scalars(select(Contract).where(Contract.engagement == "metered")).one()
        contract_ids = retainer.id, metered.id
    email = LOGINS["brand_big"]
    finish_login(client, form_post(client, "/login", {"email": email, "password": DEMO_PASSWORD}), email)
    html = client.get(f"/contracts/{contract_ids[0]}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html.count("<circle") == 8 and 'data-testid="no-result-rule"' in html
    assert client.get(f"/contracts/{contract_ids[1]}").status_code == 404  # another brand's


def test_the_demo_metered_contract_counts_photos(app, demo):
    with app.app_context():
        metered = db.session.scalars(select(Contract).where(Contract.engagement == "metered")).one()
        first = metered.milestones[0]
        assert (metered.tender.unit, metered.unit_price, first.status, first.amount) == ("photo", 80_00, "funded",
                                                                                        4000_00)
        assert period_money.charge_of(first) == 35 * 80_00
