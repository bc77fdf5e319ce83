"""Settlement payouts: run a batch, list payouts, and (bank backend) mark them paid or failed."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.payouts import (
    PayoutFailedIn,
    PayoutOut,
    PayoutPage,
    PayoutPaidIn,
    PayoutQuery,
    PayoutRunOut,
)
from services import payouts


@api_route("/payouts/run", "POST", summary="Start (or resume) a settlement batch", tag="Payouts",
           response=PayoutRunOut, status=202, roles=("admin",), errors=(403, 409), idempotent=True)
def run():
    """Enqueues the batch job; follow it with `GET /api/v1/jobs/{job_id}`. Only one batch is open at a
    time: starting again while one is open resumes that batch. With no batch open and nothing due,
    409 `nothing_due` (no empty batch is made)."""
    batch, job_id = payouts.request_batch(current_api_user())
    return PayoutRunOut(job_id=job_id, batch_id=batch.id)


@api_route("/payouts", summary="Payouts: a provider's own, or all for staff", tag="Payouts",
           query=PayoutQuery, response=PayoutPage, roles=("provider", "admin"), errors=(403,))
def list_payouts(query: PayoutQuery):
    page = payouts.payouts_for(current_api_user(), batch_id=query.batch_id, status=query.status, page=query.page,
                               per_page=query.per_page)
    return PayoutPage(items=[PayoutOut.model_validate(p, from_attributes=True) for p in page.items],
                      page=page.page, per_page=page.per_page, total=page.total,
                      total_is_estimate=page.total_is_estimate)


@api_route("/admin/payouts/<int:payout_id>/paid", "POST", summary="Mark a bank payout paid", tag="Payouts",
           body=PayoutPaidIn, response=PayoutOut, roles=("admin",), errors=(403, 404, 409, 422),
           idempotent=True)
def mark_paid(payout_id: int, body: PayoutPaidIn):
    return PayoutOut.model_validate(payouts.mark_paid(current_api_user(), payout_id, body.reference),
                                    from_attributes=True)


@api_route("/admin/payouts/<int:payout_id>/failed", "POST", summary="Mark a bank payout failed (money returns "
           "to the provider's payable)", tag="Payouts", body=PayoutFailedIn, response=PayoutOut,
           roles=("admin",), errors=(403, 404, 409, 422), idempotent=True)
def mark_failed(payout_id: int, body: PayoutFailedIn):
    return PayoutOut.model_validate(payouts.mark_failed(current_api_user(), payout_id, body.reason),
                                    from_attributes=True)
