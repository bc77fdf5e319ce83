"""Margin deposit (contract "Margin deposit"): a provider's held margin and its requirements, paying it
from earnings, withdrawing it after the cool-off; staff's per-category requirement and awards to brands."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.margins import (
    CategoryMarginIn,
    CategoryMarginOut,
    MarginAwardIn,
    MarginAwardOut,
    MarginAwardRejectIn,
    MarginMoveIn,
    MarginMoveOut,
    MarginOut,
    MoneyOut,
    RequirementOut,
)
from services import margins, transfer_references


def _moved(posting) -> MarginMoveOut:
    user = current_api_user()
    return MarginMoveOut(posting=posting.key, held=MoneyOut(amount=margins.held(user.account_id),
                                                            currency=margins.MARGIN_CURRENCY))


@api_route("/me/margin", summary="The provider's margin deposit and what categories require", tag="Margin",
           response=MarginOut, roles=("provider",), errors=(403,))
def my_margin():
    user = current_api_user()
    status = margins.status_of(user)
    return MarginOut(held=MoneyOut(amount=status.held, currency=status.currency),
                     required=[RequirementOut(category=c, amount=a) for c, a in status.required.items()],
                     reference=transfer_references.reference_for(user.account_id),
                     withdrawable_from=status.withdrawable_from, open_work=status.blocked_by_open_work)


@api_route("/me/margin", "POST", summary="Pay margin from payable earnings", tag="Margin", body=MarginMoveIn,
           response=MarginMoveOut, status=201, roles=("provider",), errors=(403, 409, 422))
def pay_margin(body: MarginMoveIn):
    """409 `insufficient_funds` when the payable earnings do not cover it."""
    return _moved(margins.pay_from_earnings(current_api_user(), body.amount, body.currency))


@api_route("/me/margin/withdrawals", "POST", summary="Take margin back to payable earnings", tag="Margin",
           body=MarginMoveIn, response=MarginMoveOut, status=201, roles=("provider",), errors=(403, 409, 422))
def withdraw_margin(body: MarginMoveIn):
    """Only 30 days after the last contract, dispute or payment into the margin ended (409
    `margin_cool_off`), with no contract or dispute open (409 `margin_in_use`); the next payout batch
    pays it."""
    return _moved(margins.withdraw(current_api_user(), body.amount, body.currency))


@api_route("/admin/margins/<category>", "PUT", summary="Set a category's required margin", tag="Margin",
           body=CategoryMarginIn, response=CategoryMarginOut, roles=("admin",), errors=(403, 422))
def set_category_margin(category: str, body: CategoryMarginIn):
    row = margins.set_category(current_api_user(), category, body.amount)
    return CategoryMarginOut(category=row.category, amount=row.amount)


@api_route("/admin/disputes/<int:dispute_id>/margin-awards", "POST", summary="Award part of the provider's margin "
           "to the brand", tag="Margin", body=MarginAwardIn, response=MarginAwardOut, status=201, roles=("admin",),
           errors=(403, 404, 409, 422))
def award_margin(dispute_id: int, body: MarginAwardIn):
    """Only on a dispute decided against the provider (409 `not_against_provider`); all awards of a
    dispute total at most its amount (409 `exceeds_dispute_amount`) and what the margin holds (409
    `insufficient_margin`). Above the approval threshold the award is `pending` until a second staff
    member approves it."""
    return MarginAwardOut.model_validate(margins.award(current_api_user(), dispute_id, body.amount, body.reason),
                                         from_attributes=True)


@api_route("/admin/margin-awards/<int:award_id>/approve", "POST", summary="Approve a pending margin award",
           tag="Margin", response=MarginAwardOut, roles=("admin",), errors=(403, 404, 409))
def approve_margin_award(award_id: int):
    return MarginAwardOut.model_validate(margins.approve_award(current_api_user(), award_id), from_attributes=True)


@api_route("/admin/margin-awards/<int:award_id>/reject", "POST", summary="Reject a pending margin award",
           tag="Margin", body=MarginAwardRejectIn, response=MarginAwardOut, roles=("admin",),
           errors=(403, 404, 409, 422))
def reject_margin_award(award_id: int, body: MarginAwardRejectIn):
    return MarginAwardOut.model_validate(margins.reject_award(current_api_user(), award_id, body.reason),
                                         from_attributes=True)
