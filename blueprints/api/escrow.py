"""Milestones in escrow, and the ledger: fund, deliver, request changes, accept, cancel; deposits,
balances, the ledger summary. Every money-moving POST honours Idempotency-Key."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.common import PageQuery
from blueprints.api.schemas.escrow import (
    DeliverIn,
    DepositIn,
    DepositOut,
    EntryOut,
    EntryPage,
    FundOut,
    LedgerSummaryOut,
    MilestoneDetailOut,
    MilestoneStatusOut,
    NoteIn,
    SummaryAccount,
)
from blueprints.downloads import one_of, send_attachment, send_variant
from extensions import db
from models import User
from services import escrow, funding, ledger, previews


def milestone_detail(milestone) -> MilestoneDetailOut:
    out = MilestoneDetailOut.model_validate(milestone, from_attributes=True)
    out.auto_release_at = escrow.release_due_at(milestone)
    files = {f.id: f for d in milestone.deliveries for f in d.files}
    ups = previews.uploads_for(files.values())
    withheld = previews.original_withheld(current_api_user(), milestone)
    for delivery in out.deliveries:
        for f in delivery.files:
            base, up = f"/api/v1/milestones/{milestone.id}/files/{f.id}", ups.get(files[f.id].stored_name)
            f.url, f.original_available = base, not (withheld and f.content_type.startswith("image/"))
            f.thumbnail_url = f"{base}/thumb" if up and up.thumb_name else None
            f.preview_url = f"{base}/view" if up and up.preview_name else None
    return out


def _delivery_file(milestone, file_id: int):
    return one_of([f for d in milestone.deliveries for f in d.files], file_id)


@api_route("/milestones/<int:milestone_id>/files/<int:file_id>", summary="Download a delivered file",
           tag="Contracts", errors=(403, 404), download=True)
def delivery_file(milestone_id: int, file_id: int):
    """The brand gets a delivered image's original only once the milestone is released (403 before:
    use `preview_url`); other files, and the provider, always."""
    milestone = escrow.milestone_for(current_api_user(), milestone_id)
    stored = _delivery_file(milestone, file_id)
    previews.check_original(current_api_user(), milestone, stored)
    return send_attachment(stored)


@api_route("/milestones/<int:milestone_id>/files/<int:file_id>/<variant>",
           summary="A delivered image's thumbnail (`thumb`) or watermarked preview (`view`)", tag="Contracts",
           errors=(404,), download=True)
def delivery_file_variant(milestone_id: int, file_id: int, variant: str):
    """JPEG; 404 until the image job has made it, or for a file that is not an image or video."""
    milestone = escrow.milestone_for(current_api_user(), milestone_id)
    return send_variant(_delivery_file(milestone, file_id), variant)


@api_route("/milestones/<int:milestone_id>", summary="A milestone with its deliveries and history",
           tag="Contracts", response=MilestoneDetailOut, errors=(404,))
def get_milestone(milestone_id: int):
    return milestone_detail(escrow.milestone_for(current_api_user(), milestone_id))


@api_route("/milestones/<int:milestone_id>/fund", "POST", summary="Fund a milestone into escrow", tag="Contracts",
           response=FundOut, roles=("brand",), errors=(403, 404, 409), idempotent=True)
def fund(milestone_id: int):
    """Ledger backend: from the brand's wallet, or 409 `insufficient_funds`. Stripe backend:
    `awaiting_payment` with a client secret; `funded` once Stripe's signed webhook confirms."""
    user = current_api_user()
    result = funding.fund(user, milestone_id)
    if result.status == "awaiting_payment" and result.client_secret is None:
        db.session.commit()  # the card attempt is on record before Stripe is asked for its PaymentIntent
        result = funding.collect_card(user, milestone_id)
    return FundOut(status=result.status, client_secret=result.client_secret)


@api_route("/milestones/<int:milestone_id>/deliver", "POST", summary="Deliver a milestone", tag="Contracts",
           body=DeliverIn, response=MilestoneStatusOut, roles=("provider",),
           errors=(403, 404, 409, 422))
def deliver(milestone_id: int, body: DeliverIn):
    """A numbered delivery round with a note and links (files through the web form)."""
    escrow.deliver(current_api_user(), milestone_id, body.note, body.links)
    return MilestoneStatusOut(id=milestone_id, status="delivered")


@api_route("/milestones/<int:milestone_id>/request-changes", "POST", summary="Ask for changes to a delivery",
           tag="Contracts", body=NoteIn, response=MilestoneStatusOut, roles=("brand",),
           errors=(403, 404, 409, 422))
def request_changes(milestone_id: int, body: NoteIn):
    milestone = escrow.request_changes(current_api_user(), milestone_id, body.note)
    return MilestoneStatusOut(id=milestone.id, status=milestone.status)


@api_route("/milestones/<int:milestone_id>/accept", "POST", summary="Accept a delivery and release payment",
           tag="Contracts", response=MilestoneStatusOut, roles=("brand",), errors=(403, 404, 409),
           idempotent=True)
def accept(milestone_id: int):
    """The provider is credited amount − commission (COMMISSION_BPS, rounded half-up), the platform the rest."""
    milestone = escrow.accept(current_api_user(), milestone_id)
    return MilestoneStatusOut(id=milestone.id, status=milestone.status)


@api_route("/milestones/<int:milestone_id>/cancel", "POST", summary="Cancel a milestone that is not funded",
           tag="Contracts", response=MilestoneStatusOut, roles=("brand",), errors=(403, 404, 409))
def cancel(milestone_id: int):
    milestone = funding.cancel(current_api_user(), milestone_id)
    return MilestoneStatusOut(id=milestone.id, status=milestone.status)


@api_route("/admin/deposits", "POST", summary="Record a brand's bank transfer into its wallet", tag="Ledger",
           body=DepositIn, response=DepositOut, status=201, roles=("admin",),
           errors=(403, 409, 422), idempotent=True)
def record_deposit(body: DepositIn):
    brand = db.session.get(User, body.user_id)
    posting = funding.record_deposit(current_api_user(), brand, body.amount, body.currency, body.reference)
    return DepositOut(id=posting.id, key=posting.key, user_id=body.user_id, amount=body.amount,
                      currency=body.currency, reference=posting.reference)


@api_route("/ledger/summary", summary="Every account kind's balance; the total is zero per currency",
           tag="Ledger", response=LedgerSummaryOut, roles=("admin",), errors=(403,))
def ledger_summary():
    balances, totals = ledger.summary()
    return LedgerSummaryOut(
        accounts=[SummaryAccount(name=b.account, amount=b.amount, currency=b.currency) for b in balances],
        total=totals)


@api_route("/me/ledger", summary="The caller's ledger entries, newest first", tag="Ledger",
           query=PageQuery, response=EntryPage)
def my_entries(query: PageQuery):
    page = ledger.entries_of(current_api_user(), query.page, query.per_page)
    return EntryPage(items=[EntryOut(
        posting=e.posting.key, kind=e.posting.kind, account=e.account.key, amount=e.amount, currency=e.currency,
        memo=e.posting.memo, created_at=e.posting.created_at) for e in page.items],
        page=page.page, per_page=page.per_page, total=page.total, total_is_estimate=page.total_is_estimate)
