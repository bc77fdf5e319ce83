"""The tender state machine, as a table: every status × every action."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import Tender, User
from services import tenders
from services.errors import Conflict, Forbidden
from services.tenders import TenderInput


def new_tender(brand) -> Tender:
    return tenders.create_tender(brand, TenderInput(
        title="Short videos", category="video", description="Ten 15-second product videos.",
        budget_min=100, budget_max=200, currency="CNY",
        bid_deadline=datetime.now(UTC) + timedelta(days=3)))


@pytest.fixture
def brand(ctx, make_user):
    return db.session.get(User, make_user("brand").id)


# (stored status before, action) → status after, or the error raised
TABLE = [
    ("open", "close", "evaluating"),
    ("open", "cancel", "cancelled"),
    ("evaluating", "close", Conflict),
    ("evaluating", "cancel", "cancelled"),
    ("awarded", "close", Conflict),
    ("awarded", "cancel", Conflict),
    ("cancelled", "close", Conflict),
    ("cancelled", "cancel", Conflict),
]


@pytest.mark.parametrize("before, action, after", TABLE)
def test_transitions(brand, before, action, after):
    tender = new_tender(brand)
    tender.stored_status = before
    db.session.flush()
    act = {"close": tenders.close_tender, "cancel": tenders.cancel_tender}[action]
    if isinstance(after, type):
        with pytest.raises(after):
            act(brand, tender.id)
        assert tender.stored_status == before
    else:
        act(brand, tender.id)
        assert tender.status == after


def test_only_the_owner_acts(brand, make_user):
    other = db.session.get(User, make_user("brand").id)
    tender = new_tender(brand)
    with pytest.raises(Forbidden):
        tenders.close_tender(other, tender.id)
    with pytest.raises(Forbidden):
        tenders.cancel_tender(None, tender.id)


def test_status_expression_matches_the_python_property(brand):
    """The SQL filter and the attribute agree on what a passed deadline means."""
    fresh, lapsed = new_tender(brand), new_tender(brand)
    lapsed.bid_deadline = datetime.now(UTC) - timedelta(seconds=1)
    db.session.flush()
    rows = db.session.execute(select(Tender.id, Tender.status).order_by(Tender.id)).all()
    assert rows == [(fresh.id, "open"), (lapsed.id, "evaluating")]
    assert (fresh.status, lapsed.status) == ("open", "evaluating")
