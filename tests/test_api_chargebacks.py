"""Staff chargeback cases through /api/v1/admin/chargebacks (API parity with the /chargebacks pages), on
the Stripe test servers: a released milestone paid by card is charged back, staff read the case, send
evidence to Stripe, and find the provider at fault once — with an Idempotency-Key replay; the parties
are told there is nothing here (404)."""
from sqlalchemy import func, select

from extensions import db
from models import Notification, StaffAction
from tests.support.chargebacks import dispute_at_stripe, open_dispute, released_by_card, webhook
from tests.support.stripe_fixtures import stripe_api

REASON = "The bank's evidence shows the photos were never delivered in full."


def test_staff_handle_a_chargeback_through_the_api(deal, stripe_app, empty_stripe, make_user, api):
    d = deal()
    app = d.app
    mid, intent_id = released_by_card(d, stripe_app, empty_stripe, app)
    dispute = open_dispute(empty_stripe, intent_id)
    assert webhook(stripe_app, "charge.dispute.created", dispute, "evt_api_c").status_code == 200
    staff = stripe_api(stripe_app, api(make_user("admin")))

    queue = staff.get("/admin/chargebacks")
    assert queue.status_code == 200 and queue.json["total"] == 1
    case_id = queue.json["items"][0]["id"]
    assert queue.json["items"][0]["milestone_id"] == mid and queue.json["items"][0]["loss_bearer"] == "platform"
    case = staff.get(f"/admin/chargebacks/{case_id}").json
    assert case["can_charge_provider"] is True and "Milestone 1" in case["evidence"]["product_description"]

    # Nobody but staff knows the case exists: 404 on every operation, and nothing changes.
    for party in (stripe_api(stripe_app, d.brand), stripe_api(stripe_app, d.provider)):
        assert party.get("/admin/chargebacks").status_code == 404
        assert party.get(f"/admin/chargebacks/{case_id}").status_code == 404
        assert party.post(f"/admin/chargebacks/{case_id}/evidence", json={"uncategorized_text": "x"}).status_code == 404
        assert party.post(f"/admin/chargebacks/{case_id}/provider-at-fault",
                          json={"reason": REASON}).status_code == 404
    assert staff.get("/admin/chargebacks/999999").status_code == 404

    # Evidence: bad input is refused whole; saved, then submitted (final).
    assert staff.post(f"/admin/chargebacks/{case_id}/evidence", json={"submit": "yes"}).status_code == 400
    empty = staff.post(f"/admin/chargebacks/{case_id}/evidence", json={"uncategorized_text": "  "})
    assert empty.status_code == 422 and "uncategorized_text" in empty.json["error"]["fields"]
    saved = staff.post(f"/admin/chargebacks/{case_id}/evidence",
                       json={"uncategorized_text": "Delivered 40 SKUs; the brand accepted them."})
    assert saved.status_code == 200, saved.json
    assert saved.json["evidence_submitted_at"] is None
    sent = staff.post(f"/admin/chargebacks/{case_id}/evidence",
                      json={"uncategorized_text": "Delivered 40 SKUs; the brand accepted them.", "submit": True})
    assert sent.status_code == 200 and sent.json["evidence_submitted_at"] is not None
    assert dispute_at_stripe(empty_stripe, dispute["id"])["evidence_details"]["submission_count"] == 1
    again = staff.post(f"/admin/chargebacks/{case_id}/evidence", json={"uncategorized_text": "more", "submit": True})
    assert again.status_code == 409 and again.json["error"]["code"] == "evidence_submitted"

    # The provider at fault: a short reason is 422; the decision is made once, and a retry with the same
    # Idempotency-Key answers the first answer without a second decision.
    short = staff.post(f"/admin/chargebacks/{case_id}/provider-at-fault", json={"reason": "no"})
    assert short.status_code == 422 and "reason" in short.json["error"]["fields"]
    key = {"Idempotency-Key": "fault-1"}
    first = staff.post(f"/admin/chargebacks/{case_id}/provider-at-fault", json={"reason": REASON}, headers=key)
    assert first.status_code == 200, first.json
    assert first.json["loss_bearer"] == "provider" and first.json["recovery_cap"] == 135000_00
    replay = staff.post(f"/admin/chargebacks/{case_id}/provider-at-fault", json={"reason": REASON}, headers=key)
    assert (replay.status_code, replay.json) == (200, first.json)
    twice = staff.post(f"/admin/chargebacks/{case_id}/provider-at-fault", json={"reason": REASON})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_decided"
    with app.app_context():
        provider_id = d.provider.get("/me").json["id"]
        told = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == provider_id, Notification.kind == "chargeback_recovery"))
        assert told == 1
        assert db.session.scalar(select(func.count()).select_from(StaffAction).where(
            StaffAction.action == "chargeback.provider_at_fault")) == 1
    assert staff.get("/admin/chargebacks", query_string={"all": "true"}).json["total"] == 1
