"""Staff: suspend a brand or provider account, lift it, hold its payouts, decide its appeal
(services.suspensions)."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.common import PageQuery
from blueprints.api.schemas.suspensions import (
    AppealDecisionIn,
    SuspendIn,
    SuspensionOut,
    SuspensionPage,
    SuspensionReasonIn,
)
from services import suspensions
from services.errors import NotFound

STAFF = ("admin",)


def _out(suspension) -> SuspensionOut:
    return SuspensionOut.model_validate(suspension)


@api_route("/admin/users/<int:user_id>/suspension", "POST", summary="Suspend a brand or provider account",
           tag="Staff", body=SuspendIn, response=SuspensionOut, status=201, roles=STAFF,
           errors=(400, 403, 404, 409, 422))
def suspend_account(user_id: int, body: SuspendIn):
    """Every login and API token of the account ends at once; the user is mailed the reason and may appeal
    once. Milestones with money in escrow go to the dispute queue (reason `account_suspended`); undecided
    tenders are cancelled and live bids withdrawn. A staff account: 409 `not_suspendable`; suspending
    again: 409 `already_suspended`."""
    return _out(suspensions.suspend(current_api_user(), user_id, body.reason, hold_payouts=body.hold_payouts,
                                    hold_reason=body.hold_reason))


@api_route("/admin/users/<int:user_id>/suspension", summary="The account's suspension in force", tag="Staff",
           response=SuspensionOut, roles=STAFF, errors=(403, 404))
def standing_suspension(user_id: int):
    """404 when the account is not suspended."""
    suspensions.account_for_staff(current_api_user(), user_id)
    suspension = suspensions.standing(user_id)
    if suspension is None:
        raise NotFound()
    return _out(suspension)


@api_route("/admin/users/<int:user_id>/suspension", "DELETE", summary="Lift an account's suspension",
           tag="Staff", body=SuspensionReasonIn, response=SuspensionOut, roles=STAFF, errors=(400, 403, 404, 409, 422))
def lift_suspension(user_id: int, body: SuspensionReasonIn):
    """The account can sign in again (its old logins and tokens stay ended); held payouts are released.
    Not suspended: 409 `not_suspended`."""
    return _out(suspensions.lift(current_api_user(), user_id, body.reason))


@api_route("/admin/users/<int:user_id>/suspension/payout-hold", "POST", summary="Hold a suspended provider's payouts",
           tag="Staff", body=SuspensionReasonIn, response=SuspensionOut, roles=STAFF, errors=(400, 403, 404, 409, 422))
def hold_account_payouts(user_id: int, body: SuspensionReasonIn):
    return _out(suspensions.hold_payouts(current_api_user(), user_id, body.reason))


@api_route("/admin/users/<int:user_id>/suspension/payout-hold", "DELETE", summary="Release held payouts",
           tag="Staff", body=SuspensionReasonIn, response=SuspensionOut, roles=STAFF, errors=(400, 403, 404, 409, 422))
def release_account_payouts(user_id: int, body: SuspensionReasonIn):
    return _out(suspensions.release_payouts(current_api_user(), user_id, body.reason))


@api_route("/admin/suspensions", summary="Suspensions with an appeal waiting, newest appeal first", tag="Staff",
           query=PageQuery, response=SuspensionPage, roles=STAFF, errors=(403, 422))
def suspension_appeal_queue(query: PageQuery):
    page = suspensions.appeal_queue(current_api_user(), page=query.page, per_page=query.per_page)
    return SuspensionPage(items=[_out(s) for s in page.items], page=page.page, per_page=page.per_page,
                          total=page.total, total_is_estimate=page.total_is_estimate)


@api_route("/admin/suspensions/<int:suspension_id>/appeal-decision", "POST", summary="Decide a suspension's appeal",
           tag="Staff", body=AppealDecisionIn, response=SuspensionOut, roles=STAFF,
           errors=(400, 403, 404, 409, 422))
def decide_suspension_appeal(suspension_id: int, body: AppealDecisionIn):
    """By a staff member other than the one who suspended (else 403 `same_staff`): `uphold` keeps the
    suspension, `lift` ends it; either way the user is mailed the reason. No open appeal: 409."""
    return _out(suspensions.decide_appeal(current_api_user(), suspension_id, body.decision, body.reason))
