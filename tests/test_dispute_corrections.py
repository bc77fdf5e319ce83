"""Four eyes on dispute corrections (issue 14, finding 3): above CORRECTION_APPROVAL_THRESHOLD a
correction is only proposed, and moves money once a different staff member approves it; every
correction records who proposed and who approved it, on the API, the pages and the staff audit log."""
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import DisputeCorrection, StaffAction, User
from services import ledger
from tests.support.ledger import balances, postings
from tests.support.pages import assert_labels_point_at_inputs
from tests.support.web import csrf_token, form_post, signed_in


@pytest.fixture
def decided(deal, api, make_user):
    """decided(provider_amount) → a Deal whose first milestone (¥150,000.00, above the default threshold)
    was disputed and decided; `d.second` is another staff member."""

    def build(provider_amount=150000_00, amounts=(150000_00, 20000_00, 10000_00), deposit=None):
        d = deal(amounts=amounts)
        d.deposit(deposit or sum(amounts))
        d.fund(0)
        d.deliver(0)
        r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"})
        d.dispute_id = r.json["id"]
        assert d.staff.post(f"/disputes/{d.dispute_id}/resolve",
                            json={"provider_amount": provider_amount, "reason": "Decided."}).status_code == 200
        d.second = api(make_user("admin"))
        d.staff_id, d.second_id = d.staff.get("/me").json["id"], d.second.get("/me").json["id"]
        d.path = f"/disputes/{d.dispute_id}"
        return d

    return build


def money(d, app) -> tuple:
    """Everything a correction could move: the provider's payable, the brand's wallet, platform revenue,
    and how many adjustment postings exist."""
    with app.app_context():
        revenue = ledger.balance(ledger.revenue("CNY"))
    return (balances(d.provider).get("provider_payable", 0), balances(d.brand).get("brand_wallet", 0), revenue,
            postings(app, "adjustment"))


def staff_actions(app, dispute_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(StaffAction).where(StaffAction.subject_type == "dispute",
                                                            StaffAction.subject_id == dispute_id,
                                                            StaffAction.action.like("dispute.correct%"))
                                  .order_by(StaffAction.id))
        return [(a.action, a.actor_id, a.after.get("status"), a.reason) for a in rows]


def test_at_the_threshold_a_correction_applies_at_once_and_one_fen_more_waits(decided, app):
    d = decided()
    threshold = app.config["CORRECTION_APPROVAL_THRESHOLD"]
    r = d.staff.post(f"{d.path}/adjustments", json={"amount": threshold, "direction": "to_brand",
                                                    "reason": "At the threshold."})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "applied" and r.json["posting"] == f"adjustment:dispute:{d.dispute_id}:1"
    assert r.json["proposed_by_id"] == r.json["decided_by_id"] == d.staff_id  # proposer = approver
    before = money(d, app)
    r = d.staff.post(f"{d.path}/adjustments", json={"amount": threshold + 1, "direction": "to_brand",
                                                    "reason": "One fen above it."})
    assert r.status_code == 202, r.json
    assert r.json["status"] == "pending" and r.json["posting"] is None and r.json["decided_by_id"] is None
    assert money(d, app) == before  # nothing moves while it waits
    assert [c["status"] for c in d.staff.get(d.path).json["corrections"]] == ["applied", "pending"]
    for party in (d.brand, d.provider):  # the parties see what was applied, by "platform staff"
        seen = party.get(d.path).json["corrections"]
        assert [(c["status"], c["amount"], c["proposed_by_id"], c["decided_by_id"]) for c in seen] == [
            ("applied", threshold, None, None)]
    assert staff_actions(app, d.dispute_id) == [
        ("dispute.correct", d.staff_id, "applied", "At the threshold."),
        ("dispute.correction_propose", d.staff_id, "pending", "One fen above it.")]


def test_a_second_staff_member_approves_and_the_money_moves_once(decided, app):
    d = decided()
    payable, wallet, revenue, _ = money(d, app)
    proposal = d.staff.post(f"{d.path}/adjustments", json={"amount": 100000_00, "direction": "to_brand",
                                                           "reason": "Most images were unusable."}).json
    approve = f"{d.path}/adjustments/{proposal['id']}/approve"
    own = d.staff.post(approve)
    assert own.status_code == 403 and own.json["error"]["code"] == "own_correction"
    assert money(d, app) == (payable, wallet, revenue, 0)
    r = d.second.post(approve)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["proposed_by_id"], r.json["decided_by_id"]) == ("applied", d.staff_id, d.second_id)
    assert r.json["posting"] == f"adjustment:dispute:{d.dispute_id}:1"
    # as a correction applied at once: 100,000.00 back, 90,000.00 from the provider, 10,000.00 of commission
    assert money(d, app) == (payable - 90000_00, wallet + 100000_00, revenue - 10000_00, 1)
    for staff in (d.second, d.staff):  # approving twice, by anyone, is refused
        again = staff.post(approve)
        assert again.status_code == 409 and again.json["error"]["code"] == "correction_decided"
    assert money(d, app) == (payable - 90000_00, wallet + 100000_00, revenue - 10000_00, 1)
    history = d.staff.get(d.path).json["history"][-1]
    assert history["action"] == "adjusted" and history["actor_id"] == d.second_id
    assert history["detail"]["proposed_by"] == d.staff_id
    assert [(a, actor) for a, actor, _, _ in staff_actions(app, d.dispute_id)] == [
        ("dispute.correction_propose", d.staff_id), ("dispute.correction_approve", d.second_id)]


def test_a_rejected_proposal_moves_nothing_and_cannot_be_approved(decided, app):
    d = decided(provider_amount=0)
    before = money(d, app)
    proposal = d.staff.post(f"{d.path}/adjustments", json={"amount": 120000_00, "direction": "to_provider",
                                                           "reason": "Most of it was usable."}).json
    assert proposal["status"] == "pending"
    reject = f"{d.path}/adjustments/{proposal['id']}/reject"
    assert d.second.post(reject, json={"reason": "?"}).status_code == 422
    r = d.second.post(reject, json={"reason": "The evidence does not show that."})
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["decided_by_id"], r.json["decision_reason"]) == (
        "rejected", d.second_id, "The evidence does not show that.")
    assert money(d, app) == before
    for path, body in ((f"{d.path}/adjustments/{proposal['id']}/approve", None), (reject, {"reason": "Again."})):
        again = d.second.post(path, json=body)
        assert again.status_code == 409 and again.json["error"]["code"] == "correction_decided"
    assert money(d, app) == before
    assert d.brand.get(d.path).json["corrections"] == []  # the parties never see a rejected proposal
    # the dispute takes a new proposal, and its proposer may withdraw it (nothing moves, no second pair
    # of eyes needed)
    second = d.staff.post(f"{d.path}/adjustments", json={"amount": 110000_00, "direction": "to_provider",
                                                         "reason": "Most of it, after all."}).json
    assert d.staff.post(f"{d.path}/adjustments/{second['id']}/reject",
                        json={"reason": "Proposed by mistake."}).json["status"] == "rejected"
    assert money(d, app) == before
    assert [(a, status) for a, _, status, _ in staff_actions(app, d.dispute_id)] == [
        ("dispute.correction_propose", "pending"), ("dispute.correction_reject", "rejected"),
        ("dispute.correction_propose", "pending"), ("dispute.correction_reject", "rejected")]


def test_one_proposal_waits_per_dispute_and_impossible_ones_are_refused_at_once(decided, app, api, make_user):
    d = decided(provider_amount=100000_00)
    for body, code in (({"amount": 100000_00 + 1, "direction": "to_brand"}, "exceeds_provider_share"),
                       ({"amount": 50000_00 + 1, "direction": "to_provider"}, "exceeds_milestone")):
        r = d.staff.post(f"{d.path}/adjustments", json={**body, "reason": "Beyond the dispute."})
        assert r.status_code == 409 and r.json["error"]["code"] == code
    assert d.staff.get(d.path).json["corrections"] == []
    first = d.staff.post(f"{d.path}/adjustments", json={"amount": 60000_00, "direction": "to_brand",
                                                        "reason": "Mostly unusable."})
    assert first.status_code == 202
    for amount in (70000_00, 100):  # neither another proposal nor a small correction while one waits
        r = d.second.post(f"{d.path}/adjustments", json={"amount": amount, "direction": "to_brand",
                                                         "reason": "Another view."})
        assert r.status_code == 409 and r.json["error"]["code"] == "correction_pending"
    other = api(make_user("admin"))  # another dispute's correction is not reachable through this one
    assert other.post(f"/disputes/{d.dispute_id + 1000}/adjustments/{first.json['id']}/approve").status_code == 404
    assert d.brand.post(f"{d.path}/adjustments/{first.json['id']}/approve").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(DisputeCorrection.status)) == "pending"


def test_approval_checks_the_bounds_again(decided, app):
    """A proposal that fitted when it was made but no longer does when approved moves nothing: here the
    brand spent its wallet on the next milestone in between."""
    d = decided(provider_amount=30000_00, amounts=(150000_00, 120000_00, 10000_00), deposit=150000_00)
    proposal = d.staff.post(f"{d.path}/adjustments", json={"amount": 110000_00, "direction": "to_provider",
                                                           "reason": "Most of it was usable."})
    assert proposal.status_code == 202, proposal.json
    d.fund(1)  # the 120,000.00 the decision gave back to the brand goes into the next milestone
    before = money(d, app)
    r = d.second.post(f"{d.path}/adjustments/{proposal.json['id']}/approve")
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_funds"
    assert money(d, app) == before
    assert d.staff.get(d.path).json["corrections"][0]["status"] == "pending"  # still there to reject


def test_idempotency_keys_answer_the_first_answer_again(decided, app):
    d = decided()
    key = {"Idempotency-Key": "correction-1"}
    body = {"amount": 100000_00, "direction": "to_brand", "reason": "Retry after a lost answer."}
    first, retry = (d.staff.post(f"{d.path}/adjustments", json=body, headers=key) for _ in range(2))
    assert first.status_code == retry.status_code == 202 and first.json == retry.json
    approve = f"{d.path}/adjustments/{first.json['id']}/approve"
    one, two = (d.second.post(approve, headers={"Idempotency-Key": "approve-1"}) for _ in range(2))
    assert one.status_code == two.status_code == 200 and one.json == two.json
    assert postings(app, "adjustment") == 1


def test_the_openapi_document_lists_every_answer(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    adjust = paths["/disputes/{dispute_id}/adjustments"]["post"]["responses"]
    assert {"201", "202", "403", "409", "422"} <= set(adjust)
    assert adjust["201"]["content"] == adjust["202"]["content"]
    for action in ("approve", "reject"):
        answers = paths[f"/disputes/{{dispute_id}}/adjustments/{{correction_id}}/{action}"]["post"]["responses"]
        assert {"200", "403", "404", "409", "422"} <= set(answers)


def test_staff_propose_and_approve_through_the_pages(decided, app):
    d = decided()
    proposer, approver = signed_in(app, d.staff_id), signed_in(app, d.second_id)
    en = {"Accept-Language": "en"}
    page = proposer.get(d.path, headers=en).get_data(as_text=True)
    assert "waits for a second staff member" in page and "¥1,000.00" in page
    r = form_post(proposer, f"{d.path}/adjust", {"amount": "100000.00", "direction": "to_brand",
                                                 "reason": "Most images were unusable."},
                  page=d.path, follow_redirects=True, headers=en)
    html = r.get_data(as_text=True)
    assert "Another staff member must approve it" in html and 'data-testid="own-proposal"' in html
    assert 'data-testid="approve-correction"' not in html  # no approve button for its proposer
    assert f'action="{d.path}/adjust"' not in html  # nor another correction while this one waits
    with app.app_context():
        correction_id = db.session.scalar(select(DisputeCorrection.id))
    queue = approver.get("/disputes/corrections", headers=en).get_data(as_text=True)
    assert f'data-testid="pending-correction-{correction_id}"' in queue and "Most images were unusable." in queue
    assert "Corrections awaiting approval: 1" in approver.get("/disputes/queue", headers=en).get_data(as_text=True)
    page = approver.get(d.path, headers=en).get_data(as_text=True)
    assert 'data-testid="approve-correction"' in page
    # the proposer's own approval, posted anyway, is refused
    refused = proposer.post(f"{d.path}/corrections/{correction_id}/approve",
                            data={"csrf_token": csrf_token(proposer, d.path)})
    assert refused.status_code == 403 and postings(app, "adjustment") == 0
    r = form_post(approver, f"{d.path}/corrections/{correction_id}/approve", {}, page=d.path,
                  follow_redirects=True, headers=en)
    html = r.get_data(as_text=True)
    assert "Correction approved and posted." in html and postings(app, "adjustment") == 1
    with app.app_context():
        staff_email, second_email = db.session.get(User, d.staff_id).email, db.session.get(User, d.second_id).email
    people = _people(html)
    assert staff_email in people and second_email in people and "approved by" in people
    assert "No correction is waiting" in approver.get("/disputes/corrections", headers=en).get_data(as_text=True)
    assert f'action="{d.path}/adjust"' in html  # corrections are open again
    with app.app_context():
        provider_id = db.session.get(DisputeCorrection, correction_id).dispute.milestone.contract.provider_id
    party = signed_in(app, provider_id).get(d.path, headers=en).get_data(as_text=True)
    people = _people(party)
    assert "Proposed by Platform staff" in people and "approved by Platform staff" in people
    assert staff_email not in party and second_email not in party


def test_staff_reject_through_the_pages(decided, app):
    d = decided(provider_amount=0)
    d.staff.post(f"{d.path}/adjustments", json={"amount": 120000_00, "direction": "to_provider",
                                                "reason": "Most of it was usable."})
    with app.app_context():
        correction_id = db.session.scalar(select(DisputeCorrection.id))
    approver, en = signed_in(app, d.second_id), {"Accept-Language": "en"}
    assert_labels_point_at_inputs(approver.get(d.path, headers=en).get_data(as_text=True))  # two forms, one page
    r = form_post(approver, f"{d.path}/corrections/{correction_id}/reject",
                  {"rejection_reason": "<b>No proof</b> of it."}, page=d.path, follow_redirects=True, headers=en)
    html = r.get_data(as_text=True)
    assert "Correction rejected. No money moved." in html
    assert "&lt;b&gt;No proof&lt;/b&gt; of it." in html and "<b>No proof" not in html
    assert postings(app, "adjustment") == 0


def _people(html: str) -> str:
    """The text of every "proposed by … approved by …" line on a page."""
    return " ".join(re.findall(r'data-testid="correction-people">(.*?)</p>', html, re.S))
