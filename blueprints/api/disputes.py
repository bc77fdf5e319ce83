"""Disputes: open, read, add evidence, withdraw; staff queue, resolve, adjust."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.disputes import (
    AdjustmentIn,
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


def dispute_out(d) -> DisputeOut:
    state = disputes.response_state(d)
    return DisputeOut(
        id=d.id, milestone_id=d.milestone_id, contract_id=d.milestone.contract_id, amount=d.milestone.amount,
        currency=d.milestone.currency, status=d.status, reason=d.reason, statement=d.statement,
        opened_by_id=d.opened_by_id, opened_at=d.opened_at, response_deadline=d.response_deadline,
        responses={"brand": state.brand, "provider": state.provider}, provider_amount=d.provider_amount,
        decision_reason=d.decision_reason, evidence=[EvidenceOut.model_validate(e) for e in d.evidence],
        history=[DisputeEventOut.model_validate(e) for e in d.events])


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
    return dispute_out(disputes.dispute_for(current_api_user(), dispute_id))


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
           tag="Disputes", body=AdjustmentIn, status=201, roles=("admin",), errors=(403, 404, 409, 422),
           idempotent=True)
def adjust(dispute_id: int, body: AdjustmentIn):
    """A new, separately recorded posting between the provider's payable and the brand's wallet."""
    posting = disputes.adjust(current_api_user(), dispute_id, body.amount, body.direction, body.reason)
    return {"posting": posting.key}


@api_route("/admin/disputes", summary="Disputes for staff, oldest first", tag="Disputes",
           query=DisputeQueueQuery, response=DisputePage, roles=("admin",), errors=(403,))
def dispute_queue(query: DisputeQueueQuery):
    page = disputes.queue(status=query.status, reason=query.reason, overdue=query.overdue, page=query.page,
                          per_page=query.per_page)
    return DisputePage(items=[dispute_out(d) for d in page.items], page=page.page,
                       per_page=page.per_page, total=page.total)
