"""What counts towards a provider's rating: a contract where no money moved is no track record (and
no fault of the provider's), funded work left undelivered past its due date counts against completion,
and change rounds are counted on the milestones they are divided by."""
from datetime import timedelta

import time_machine
from sqlalchemy import delete, select

from extensions import db
from models import Contract, RatingMark
from models.types import utcnow
from services import ratings, ratings_data
from tests.support.web import as_user


def inputs_of(app, provider_id):
    with app.app_context():
        return ratings_data.gather(utcnow(), [provider_id])[provider_id]


def provider_of(d) -> int:
    return d.provider.get("/me").json["id"]


def test_a_contract_whose_milestones_were_all_dropped_ends_cancelled_and_counts_as_such(deal, app, client, login):
    d = deal()
    with app.app_context():
        db.session.execute(delete(RatingMark))
        db.session.commit()
    for mid in d.milestone_ids:
        assert d.brand.post(f"/milestones/{mid}/cancel").json["status"] == "cancelled"
    assert d.brand.get(f"/contracts/{d.contract_id}").json["status"] == "cancelled"
    login(as_user(d.brand.get("/me").json["email"]))
    page = client.get(f"/contracts/{d.contract_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Nothing was paid on this contract, so it takes no reviews." in page
    provider_id = provider_of(d)
    with app.app_context():
        assert db.session.get(Contract, d.contract_id).completed_at is not None  # when it ended
        assert provider_id in db.session.scalars(select(RatingMark.provider_id)).all()  # its rating moved
    found = inputs_of(app, provider_id)
    assert (found.completed_contracts, found.brands_12m, found.new_brands_recent) == (0, 0, 0)  # nobody served
    assert ratings.operating(found)[1]["completion"] == 20  # the brand's change of plan costs nothing


def test_a_contract_with_paid_work_completes_when_the_rest_is_dropped(deal, app):
    d = deal()
    d.deposit(150000_00)
    d.release(0)
    for mid in d.milestone_ids[1:]:
        d.brand.post(f"/milestones/{mid}/cancel")
    assert d.brand.get(f"/contracts/{d.contract_id}").json["status"] == "completed"
    found = inputs_of(app, provider_of(d))
    assert (found.completed_contracts, found.brands_12m) == (1, 1)


def test_change_rounds_count_on_settled_milestones_only(deal, app):
    d = deal()
    d.deposit(300000_00)
    for i in (0, 1):
        d.fund(i)
        d.deliver(i)
        assert d.brand.post(f"/milestones/{d.milestone_ids[i]}/request-changes",
                            json={"note": "Sharper photos"}).status_code == 200
    d.deliver(0)
    d.accept(0)
    found = inputs_of(app, provider_of(d))
    # milestone 2's round is still open: it counts once that milestone settles, against it
    assert (found.settled_milestones, found.change_requests) == (1, 1)


def test_funded_work_past_its_due_date_and_undelivered_counts_against_completion(deal, app):
    d = deal(amounts=(100000_00, 100000_00, 100000_00))  # due in 10, 20 and 30 days
    d.deposit(300000_00)
    for i in (0, 1, 2):
        d.fund(i)
    d.deliver(0)
    d.accept(0)
    d.deliver(1)  # delivered, not yet accepted: not overdue whatever the date
    provider_id = provider_of(d)
    assert inputs_of(app, provider_id).overdue_milestones == 0  # nothing due yet
    with time_machine.travel(utcnow() + timedelta(days=31)):
        late = inputs_of(app, provider_id)
    assert (late.settled_milestones, late.overdue_milestones) == (1, 1)
    assert ratings.operating(late)[1]["completion"] == 10  # 1 settled of 2 owed: half of 20
