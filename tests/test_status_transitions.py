"""Statuses as types: every legal and every illegal move of the nine status-bearing models, and the
one `transition()` that enforces them (the database's CHECK constraints: test_status_constraints)."""
from datetime import timedelta
from itertools import product
from types import SimpleNamespace

import pytest

from models import (
    Bid,
    Chargeback,
    Contract,
    Dispute,
    Milestone,
    Payout,
    PayoutBatch,
    StripePayment,
    StripeRefund,
    Tender,
)
from models.status import IllegalTransition, can_move, transition
from models.types import utcnow
from services import bidding, escrow, tenders

# The legal moves, written out here rather than read from the models, so a change to a table of moves
# has to be made twice: once on purpose, once here. Every pair not listed is illegal.
LEGAL = {
    Tender: {("open", "evaluating"), ("open", "cancelled"), ("evaluating", "awarded"), ("evaluating", "cancelled")},
    Milestone: {("pending", "funded"), ("pending", "cancelled"), ("funded", "delivered"), ("funded", "disputed"),
                ("delivered", "changes_requested"), ("delivered", "released"), ("delivered", "disputed"),
                ("changes_requested", "delivered"), ("changes_requested", "disputed"), ("disputed", "resolved"),
                # a card chargeback freezes a milestone whose money is in escrow; lost, it is settled
                *((held, "charged_back") for held in ("funded", "delivered", "changes_requested", "disputed")),
                ("charged_back", "resolved")},
    Bid: {("submitted", "rejected"), ("submitted", "withdrawn"), ("submitted", "awarded")},
    Dispute: {("open", "resolved"), ("open", "withdrawn")},
    Contract: {("active", "completed"), ("active", "cancelled")},
    PayoutBatch: {("collecting", "paying"), ("collecting", "closed"), ("paying", "closed")},
    Payout: {("pending", "paid"), ("pending", "failed")},
    StripePayment: {
        *((waiting, done) for waiting in ("requires_payment_method", "requires_confirmation", "requires_action",
                                          "processing", "requires_capture")
          for done in ("succeeded", "canceled", "failed", "refunded_duplicate")),
        ("failed", "succeeded"), ("failed", "canceled"), ("failed", "refunded_duplicate"),
        ("canceled", "succeeded"), ("canceled", "refunded_duplicate"),
    },
    StripeRefund: {("pending", "succeeded"), ("pending", "failed")},
    # Stripe decides a chargeback: an open one may move to any other status, a final one never moves.
    Chargeback: {(old, new) for old in ("warning_needs_response", "warning_under_review", "needs_response",
                                        "under_review")
                 for new in ("warning_needs_response", "warning_under_review", "warning_closed", "needs_response",
                             "under_review", "won", "lost", "prevented") if old != new},
}
# Moves made only as an undo: a withdrawn dispute puts the milestone back where it was.
# A chargeback won puts the milestone back where it was too.
UNDO = {Milestone: {("disputed", "funded"), ("disputed", "delivered"), ("disputed", "changes_requested"),
                    ("charged_back", "funded"), ("charged_back", "delivered"), ("charged_back", "changes_requested"),
                    ("charged_back", "disputed")}}
STATUSES = {
    Tender: ("open", "evaluating", "awarded", "cancelled"),
    Milestone: ("pending", "funded", "delivered", "changes_requested", "released", "disputed", "resolved",
                "cancelled", "charged_back"),
    Bid: ("submitted", "rejected", "withdrawn", "awarded"),
    Dispute: ("open", "resolved", "withdrawn"),
    Contract: ("active", "completed", "cancelled"),
    PayoutBatch: ("collecting", "paying", "closed"),
    Payout: ("pending", "paid", "failed"),
    StripePayment: ("requires_payment_method", "requires_confirmation", "requires_action", "processing",
                    "requires_capture", "succeeded", "canceled", "failed", "refunded_duplicate"),
    StripeRefund: ("pending", "succeeded", "failed"),
    Chargeback: ("warning_needs_response", "warning_under_review", "warning_closed", "needs_response", "under_review",
                 "won", "lost", "prevented"),
}
CASES = [(model, old, new) for model, statuses in STATUSES.items() for old, new in product(statuses, repeat=2)]


def _in(model, status: str):
    """A transient row of `model` in `status` (a tender's deadline is ahead, so it reads as stored)."""
    if model is Tender:
        return Tender(stored_status=status, bid_deadline=utcnow() + timedelta(days=1))
    return model(status=status)


def test_the_enums_are_the_statuses_and_their_strings():
    for model, statuses in STATUSES.items():
        assert tuple(model.Status) == statuses
        assert all(member == member.value for member in model.Status)  # stored data and the API are unchanged


@pytest.mark.parametrize(("model", "old", "new"), CASES,
                         ids=[f"{m.__name__}:{a}->{b}" for m, a, b in CASES])
def test_every_move(model, old, new):
    row = _in(model, old)
    legal = (old, new) in LEGAL[model]
    assert can_move(row, new) is legal
    if legal:
        assert transition(row, new) == old
        assert row.status == new and type(row.status) is str  # the plain string is stored
    else:
        with pytest.raises(IllegalTransition):
            transition(row, new)
        assert row.status == old
    assert can_move(_in(model, old), new, undo=True) is ((old, new) in UNDO.get(model, set()))


def test_an_undo_is_only_an_undo():
    milestone = _in(Milestone, "disputed")
    with pytest.raises(IllegalTransition):
        transition(milestone, "delivered")  # a disputed milestone is never delivered as such
    assert transition(milestone, "delivered", undo=True) == "disputed"
    with pytest.raises(IllegalTransition):
        transition(_in(Milestone, "funded"), "pending", undo=True)


def test_unknown_statuses_are_refused():
    with pytest.raises(IllegalTransition):
        transition(_in(Bid, "submitted"), "lost")


def test_a_tender_past_its_deadline_moves_as_evaluating_and_may_write_that_down():
    tender = Tender(stored_status="open", bid_deadline=utcnow() - timedelta(minutes=1))
    assert tender.status == "evaluating"
    assert can_move(tender, "awarded") and not can_move(tender, "evaluating")
    transition(tender, "evaluating")  # storing what reads already see is not a move
    assert tender.stored_status == "evaluating"
    with pytest.raises(IllegalTransition):
        transition(tender, "evaluating")  # but once stored, it is not a move either
    with pytest.raises(IllegalTransition):
        transition(Tender(stored_status="cancelled", bid_deadline=utcnow() - timedelta(days=1)), "evaluating")



# --- what pages offer, by the same tables ---------------------------------------------------------

# Each the owner of its own one-member organisation (the account it acts for is itself).
BRAND, PROVIDER, STRANGER = (SimpleNamespace(id=n, account_id=n, org_role="owner",
                                             role="provider" if n == 2 else "brand",
                                             is_authenticated=True, is_admin=False, is_provider=n == 2)
                             for n in (1, 2, 3))
MILESTONE_ACTIONS = {  # status → (what the brand may do, what the provider may do)
    "pending": ({"fund", "cancel"}, set()),
    "funded": ({"dispute"}, {"deliver", "dispute"}),
    "delivered": ({"accept", "request_changes", "dispute"}, {"dispute"}),
    "changes_requested": ({"dispute"}, {"deliver", "dispute"}),
    "disputed": (set(), set()),
    "released": (set(), set()),
    "resolved": (set(), set()),
    "cancelled": (set(), set()),
    "charged_back": (set(), set()),
}


@pytest.mark.parametrize("status", MILESTONE_ACTIONS)
def test_milestone_actions_follow_the_table(status):
    milestone = Milestone(status=status, amount=100, contract=Contract(brand_id=BRAND.id, provider_id=PROVIDER.id))
    brand, provider = MILESTONE_ACTIONS[status]
    assert escrow.allowed_actions(milestone, BRAND) == brand
    assert escrow.allowed_actions(milestone, PROVIDER) == provider
    assert escrow.allowed_actions(milestone, STRANGER) == escrow.allowed_actions(milestone, None) == set()
    assert escrow.awaiting_funding(milestone) is (status == "pending")


@pytest.mark.parametrize(("status", "deadline", "brand", "provider"), [
    ("open", 1, {"amend", "close", "cancel"}, {"bid", "ask"}),
    ("open", -1, {"cancel"}, set()),  # past its deadline: evaluating, though not stored yet
    ("evaluating", -1, {"cancel"}, set()),
    ("awarded", -1, set(), set()),
    ("cancelled", 1, set(), set()),
])
def test_tender_actions_follow_the_table(status, deadline, brand, provider):
    tender = Tender(stored_status=status, brand_id=BRAND.id, bid_deadline=utcnow() + timedelta(days=deadline))
    assert tenders.allowed_actions(tender, BRAND) == brand
    assert tenders.allowed_actions(tender, PROVIDER) == provider
    assert tenders.allowed_actions(tender, None) == set()


def test_commission_is_computed_by_the_service(app):
    with app.app_context():
        milestone = Milestone(amount=10000_00)
        assert escrow.net_on_release(milestone) == 10000_00 - escrow.commission(milestone)
        assert escrow.commission(milestone) == (10000_00 * app.config["COMMISSION_BPS"] + 5000) // 10000


@pytest.mark.parametrize(("status", "deadline", "offered"), [
    ("open", 7, {"withdraw", "revise"}),
    ("open", -1, {"withdraw"}),  # past its deadline: evaluating
    ("awarded", -1, set()),
    ("cancelled", 7, set()),  # a cancelled tender leaves its bids live, yet nothing can be done to them
])
def test_bid_actions_offer_only_what_the_service_allows(status, deadline, offered):
    tender = Tender(stored_status=status, brand_id=BRAND.id, bid_deadline=utcnow() + timedelta(days=deadline))
    bid = Bid(tender=tender, provider_id=PROVIDER.id, status="submitted")
    assert bidding.allowed_actions(bid, PROVIDER) == offered
    assert bidding.allowed_actions(bid, STRANGER) == set()
