"""Disputes: open, read, add evidence, withdraw; staff queue, resolve, adjust."""
from blueprints.api.routing import Answer, api_route, current_api_user
from blueprints.api.schemas.disputes import (
    AdjustmentIn,
    CorrectionOut,
    CorrectionRejectIn,
    DisputeCreated,
    DisputeEventOut,
    DisputeIn,
    DisputeOut,
    DisputePage,
    DisputeQueueQuery,
    DisputeStatusOut,
    EvidenceIn,
    EvidenceOut,
    ResolveIn,
)
from services import disputes


def correction_out(c, viewer) -> CorrectionOut:
    staff = viewer.is_admin  # the parties are told "platform staff", not which staff member
    return CorrectionOut(
        id=c.id, dispute_id=c.dispute_id, amount=c.amount, direction=c.direction, reason=c.reason, status=c.status,
        proposed_by_id=c.proposed_by_id if staff else None, proposed_at=c.proposed_at,
        decided_by_id=c.decided_by_id if staff else None, decided_at=c.decided_at,
        decision_reason=c.decision_reason, posting=c.posting.key if c.posting else None)


def dispute_out(d, viewer) -> DisputeOut:
    state = disputes.response_state(d)
    return DisputeOut(
        id=d.id, milestone_id=d.milestone_id, contract_id=d.milestone.contract_id, amount=d.milestone.amount,
        currency=d.milestone.currency, status=d.status, reason=d.reason, statement=d.statement,
        opened_by_id=d.opened_by_id, opened_at=d.opened_at, response_deadline=d.response_deadline,
        responses={"brand": state.brand, "provider": state.provider}, provider_amount=d.provider_amount,
        decision_reason=d.decision_reason, evidence=[EvidenceOut.model_validate(e) for e in d.evidence],
        history=[DisputeEventOut.model_validate(e) for e in d.events],
        corrections=[correction_out(c, viewer) for c in disputes.corrections_seen_by(d, viewer)])


@api_route("/milestones/<int:milestone_id>/disputes", "POST", summary="Open a dispute; the money stays frozen",
           tag="Disputes", body=DisputeIn, response=DisputeCreated, status=201,
           roles=("brand", "provider"), errors=(403, 404, 409, 422))
def open_dispute(milestone_id: int, body: DisputeIn):
    dispute = disputes.open_dispute(current_api_user(), milestone_id, body.reason, body.statement,
                                    links=body.evidence)
    return DisputeCreated(id=dispute.id, status="open")


@api_route("/disputes/<int:dispute_id>", summary="A dispute with its evidence and history", tag="Disputes",
           response=DisputeOut, errors=(404,))
def get_dispute(dispute_id: int):
    viewer = current_api_user()
    return dispute_out(disputes.dispute_for(viewer, dispute_id), viewer)


@api_route("/disputes/<int:dispute_id>/evidence", "POST", summary="Add evidence", tag="Disputes",
           body=EvidenceIn, response=EvidenceOut, status=201, roles=("brand", "provider"),
           errors=(403, 404, 409, 422))
def add_evidence(dispute_id: int, body: EvidenceIn):
    return EvidenceOut.model_validate(
        disputes.add_evidence(current_api_user(), dispute_id, body.note, body.links))


@api_route("/disputes/<int:dispute_id>/withdraw", "POST", summary="Withdraw your own dispute before the decision",
           tag="Disputes", response=DisputeStatusOut, roles=("brand", "provider"),
           errors=(403, 404, 409))
def withdraw(dispute_id: int):
    dispute = disputes.withdraw(current_api_user(), dispute_id)
    return DisputeStatusOut(id=dispute.id, status=dispute.status)


@api_route("/disputes/<int:dispute_id>/resolve", "POST", summary="Decide a dispute (staff)", tag="Disputes",
           body=ResolveIn, response=DisputeStatusOut, roles=("admin",),
           errors=(403, 404, 409, 422), idempotent=True)
def resolve(dispute_id: int, body: ResolveIn):
    """The provider gets provider_amount − commission on it; the brand the rest back (wallet, or a
    Stripe refund when the milestone was paid by card). Decisions are final."""
    dispute = disputes.resolve(current_api_user(), dispute_id, body.provider_amount, body.reason)
    return DisputeStatusOut(id=dispute.id, status=dispute.status)


@api_route("/disputes/<int:dispute_id>/adjustments", "POST", summary="Correct a decided dispute (staff)",
           tag="Disputes", body=AdjustmentIn, response=CorrectionOut, status=201, also=(202,), roles=("admin",),
           errors=(403, 404, 409, 422), idempotent=True)
def adjust(dispute_id: int, body: AdjustmentIn):
    """A new, separately recorded posting between the provider's payable and the brand's wallet: 201
    when applied at once (at or below CORRECTION_APPROVAL_THRESHOLD), 202 with a pending proposal above
    it, which moves nothing until a different staff member approves it. 409 `correction_pending` while
    another proposal on the dispute waits."""
    staff = current_api_user()
    fix = disputes.adjust(staff, dispute_id, body.amount, body.direction, body.reason)
    out = correction_out(fix, staff)
    return Answer(out, 202) if fix.is_pending else out


@api_route("/disputes/<int:dispute_id>/adjustments/<int:correction_id>/approve", "POST",
           summary="Approve another staff member's proposed correction (staff)", tag="Disputes",
           response=CorrectionOut, roles=("admin",), errors=(403, 404, 409, 422), idempotent=True)
def approve_adjustment(dispute_id: int, correction_id: int):
    """The money moves now, with the bounds checked again. 403 `own_correction` for its proposer;
    409 `correction_decided` once it was approved or rejected."""
    staff = current_api_user()
    return correction_out(disputes.approve_correction(staff, dispute_id, correction_id), staff)


@api_route("/disputes/<int:dispute_id>/adjustments/<int:correction_id>/reject", "POST",
           summary="Reject a proposed correction (staff)", tag="Disputes", body=CorrectionRejectIn,
           response=CorrectionOut, roles=("admin",), errors=(403, 404, 409, 422), idempotent=True)
def reject_adjustment(dispute_id: int, correction_id: int, body: CorrectionRejectIn):
    """Nothing moves; the reason is kept. 409 `correction_decided` once it was approved or rejected."""
    staff = current_api_user()
    return correction_out(disputes.reject_correction(staff, dispute_id, correction_id, body.reason), staff)


@api_route("/admin/disputes", summary="Disputes for staff, oldest first", tag="Disputes",
           query=DisputeQueueQuery, response=DisputePage, roles=("admin",), errors=(403,))
def dispute_queue(query: DisputeQueueQuery):
    page = disputes.queue(status=query.status, reason=query.reason, overdue=query.overdue, page=query.page,
                          per_page=query.per_page)
    return DisputePage(items=[dispute_out(d, current_api_user()) for d in page.items], page=page.page,
                       per_page=page.per_page, total=page.total, total_is_estimate=page.total_is_estimate)
