"""Contests (比稿): publish with the prizes funded into escrow, entries, shortlist, rating, award,
cancel; entry files as previews or originals by the rules of services.contest_views."""
from flask import request

from blueprints.api.presenters import review_out
from blueprints.api.routing import api_route, current_api_user, uploaded_file
from blueprints.api.schemas.common import PageQuery
from blueprints.api.schemas.contests import (
    ContestAwardOut,
    ContestCreatedOut,
    ContestEntryFileOut,
    ContestEntryIdOut,
    ContestEntryIdsIn,
    ContestEntryOut,
    ContestEntryPage,
    ContestHandoverFileOut,
    ContestIn,
    ContestOfferIn,
    ContestOfferOut,
    ContestOfferPage,
    ContestOut,
    ContestPrizeOut,
    ContestRatingIn,
    ContestReportDecisionIn,
    ContestReportIn,
    ContestReportOut,
    ContestStaffCancelIn,
    ContestStatusOut,
)
from blueprints.api.schemas.reviews import ReviewIn, ReviewList, ReviewOut
from blueprints.downloads import send_attachment, send_one_of, send_variant
from services import contest_handover, contest_purchases, contest_reports, contest_views, contests, previews, reviews
from services.contests import ContestInput


def award_out(award) -> ContestAwardOut:
    viewer = current_api_user()
    party = viewer is not None and (viewer.is_admin or viewer.account_id in (award.entry.provider_id,
                                                                             award.contest.brand_id))
    base = f"/api/v1/contests/{award.contest_id}/awards/{award.id}/files"
    files = [ContestHandoverFileOut(id=f.id, filename=f.filename, content_type=f.content_type, size=f.size,
                                    sha256=f.sha256, uploaded_at=f.uploaded_at, url=f"{base}/{f.id}")
             for f in award.handover_files] if party else None
    return ContestAwardOut(id=award.id, entry_id=award.entry_id, rank=award.rank, amount=award.amount,
                           commission=award.commission, handover_state=award.handover_state,
                           handover_delivered_at=award.handover_delivered_at,
                           handover_confirmed_at=award.handover_confirmed_at, handover_auto=award.handover_auto,
                           handover_files=files)


def contest_out(contest) -> ContestOut:
    entry_count, shortlisted_count = contests.entry_counts_of(contest)
    return ContestOut(
        id=contest.id, brand_id=contest.brand_id, title=contest.title, category=contest.category, brief=contest.brief,
        deliverable_spec=contest.deliverable_spec, status=contest.status, currency=contest.currency,
        prize_total=contest.prize_total, prizes=[ContestPrizeOut(rank=p.rank, amount=p.amount) for p in contest.prizes],
        entry_deadline=contest.entry_deadline, selection_deadline=contest.selection_deadline, blind=contest.blind,
        guaranteed=contest.guaranteed, min_stars=contest.min_stars, ip_terms=contest.ip_terms,
        handover_days=contest.handover_days, entry_count=entry_count, shortlisted_count=shortlisted_count,
        awards=[award_out(a) for a in contests.awards_of(contest)],
        auto_awarded=contest.auto_awarded, created_at=contest.created_at)


def entry_out(viewer, contest, entry, awarded: set[int] | None = None, ups: dict | None = None) -> ContestEntryOut:
    """One entry as `viewer` may see it; a list passes the winners' ids and the files' uploads read once."""
    private = contest_views.sees_private(viewer, contest, entry)
    original = contest_views.original_allowed(viewer, contest, entry, awarded)
    ups = ups if ups is not None else previews.uploads_for(entry.files)
    base = f"/api/v1/contests/{contest.id}/entries/{entry.id}/files"
    files = []
    for f in entry.files:
        up = ups.get(f.stored_name)
        files.append(ContestEntryFileOut(
            id=f.id, version=f.version, filename=f.filename, content_type=f.content_type, size=f.size, sha256=f.sha256,
            uploaded_at=f.uploaded_at, url=f"{base}/{f.id}" if original else None,
            thumbnail_url=f"{base}/{f.id}/thumb" if up and up.thumb_name else None,
            preview_url=f"{base}/{f.id}/view" if up and up.preview_name else None))
    return ContestEntryOut(id=entry.id, contest_id=contest.id, provider_id=entry.provider_id, note=entry.note,
                    status=entry.status, shortlisted=entry.shortlisted, rating=entry.rating if private else None,
                    feedback=entry.feedback if private else None, submitted_at=entry.submitted_at,
                    revised_at=entry.revised_at, files=files)


@api_route("/contests", "POST", summary="Publish a contest, its prizes funded into escrow", tag="Contests",
           body=ContestIn, response=ContestCreatedOut, status=201, roles=("brand",), errors=(403, 409, 422))
def create_contest(body: ContestIn):
    """The prizes' total moves from the brand's wallet into the contest's escrow in the same
    transaction (409 `insufficient_funds`: nothing is created). Guaranteed: once entries exist the
    prize goes to entrants — by the brand's award, or split by a worker after the selection deadline."""
    contest = contests.publish(current_api_user(), ContestInput(**body.model_dump()))
    return ContestCreatedOut(id=contest.id, status=contest.status)


@api_route("/contests/<int:contest_id>", summary="A contest with its anonymised entry count", tag="Contests",
           response=ContestOut, auth=False, errors=(404,))
def get_contest(contest_id: int):
    return contest_out(contests.get(contest_id))


@api_route("/contests/<int:contest_id>/entries", "POST", summary="Submit an entry (multipart `file` + `note`)",
           tag="Contests", response=ContestEntryIdOut, status=201, roles=("provider",),
           errors=(403, 404, 409, 413, 422), upload=True)
def contest_submit_entry(contest_id: int):
    """An image (PNG, JPEG or WebP; cleaned of metadata, bombs and polyglots refused), stored with its
    SHA-256 and the time; only while the contest is open (409 `contest_not_open` after the deadline)."""
    upload = uploaded_file()
    entry = contests.submit_entry(current_api_user(), contest_id, request.form.get("note", ""), upload.stream,
                                  upload.filename or "")
    return ContestEntryIdOut(id=entry.id)


@api_route("/contests/<int:contest_id>/entries", summary="The entries the caller may see", tag="Contests",
           query=PageQuery, response=ContestEntryPage, errors=(403, 404))
def contest_list_entries(contest_id: int, query: PageQuery):
    """The contest's brand: every active entry, as previews (originals once an entry won). A provider:
    its own, and the others' only when the contest is not blind. Anyone else: 403."""
    viewer, contest = current_api_user(), contests.get(contest_id)
    entries = contest_views.visible_entries(viewer, contest)
    start = (query.page - 1) * query.per_page
    shown = entries[start:start + query.per_page]
    awarded = contest_views.paid_entry_ids(contest)
    ups = previews.uploads_for([f for e in shown for f in e.files])
    return ContestEntryPage(items=[entry_out(viewer, contest, e, awarded, ups) for e in shown],
                     page=query.page, per_page=query.per_page, total=len(entries))


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>", "PATCH",
           summary="Revise an entry (multipart: a new `file` and/or `note`)", tag="Contests",
           response=ContestEntryIdOut, roles=("provider",), errors=(403, 404, 409, 413, 422), upload=True)
def contest_revise_entry(contest_id: int, entry_id: int):
    """While the contest is open. Earlier versions stay on record with their hashes and times."""
    upload = request.files.get("file")
    entry = contests.revise_entry(current_api_user(), contest_id, entry_id, request.form.get("note"),
                                  stream=upload.stream if upload else None, filename=upload.filename if upload else "")
    return ContestEntryIdOut(id=entry.id)


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>/withdraw", "POST", summary="Withdraw an entry",
           tag="Contests", response=ContestEntryIdOut, roles=("provider",), errors=(403, 404, 409))
def contest_withdraw_entry(contest_id: int, entry_id: int):
    return ContestEntryIdOut(id=contests.withdraw_entry(current_api_user(), contest_id, entry_id).id)


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>/rating", "POST",
           summary="Rate an entry (1–5 stars, private feedback)", tag="Contests", body=ContestRatingIn,
           response=ContestEntryIdOut, roles=("brand",), errors=(403, 404, 409, 422))
def contest_rate_entry(contest_id: int, entry_id: int, body: ContestRatingIn):
    """The owner brand, while the contest is undecided; only the entrant reads the feedback."""
    entry = contests.rate(current_api_user(), contest_id, entry_id, body.rating, body.feedback)
    return ContestEntryIdOut(id=entry.id)


@api_route("/contests/<int:contest_id>/shortlist", "POST", summary="Set the finalists", tag="Contests",
           body=ContestEntryIdsIn, response=ContestStatusOut, roles=("brand",), errors=(403, 404, 409, 422))
def contest_shortlist(contest_id: int, body: ContestEntryIdsIn):
    """Exactly these active entries are shortlisted (an empty list clears it). If the brand does not
    award in time, the worker splits the prize among them."""
    user = current_api_user()
    contests.shortlist(user, contest_id, body.entry_ids)
    return ContestStatusOut(id=contest_id, status=contests.get(contest_id).status)


@api_route("/contests/<int:contest_id>/award", "POST", summary="Award the prizes", tag="Contests",
           body=ContestEntryIdsIn, response=ContestStatusOut, roles=("brand",), errors=(403, 404, 409, 422))
def contest_award(contest_id: int, body: ContestEntryIdsIn):
    """One active entry per prize, best first, once entries have closed. The prizes are released to the
    winners minus commission in one posting (`prize:contest:<id>:award`): exactly once, whatever races."""
    contest = contests.award(current_api_user(), contest_id, body.entry_ids)
    return ContestStatusOut(id=contest.id, status=contest.status)


@api_route("/contests/<int:contest_id>/cancel", "POST", summary="Cancel a contest that has no entries",
           tag="Contests", response=ContestStatusOut, roles=("brand",), errors=(403, 404, 409))
def contest_cancel(contest_id: int):
    """The whole prize back to the brand's wallet; once an entry stands, 409 `contest_has_entries`."""
    contest = contests.cancel(current_api_user(), contest_id)
    return ContestStatusOut(id=contest.id, status=contest.status)


@api_route("/admin/contests/<int:contest_id>/cancel", "POST", summary="Staff: cancel a contest for a rule breach",
           tag="Contests", body=ContestStaffCancelIn, response=ContestStatusOut, roles=("admin",),
           errors=(403, 404, 409, 422))
def contest_staff_cancel(contest_id: int, body: ContestStaffCancelIn):
    """Entries or not, the prize goes back to the brand (one posting, the cancel key); recorded in the
    staff audit log with the reason."""
    contest = contests.staff_cancel(current_api_user(), contest_id, body.reason)
    return ContestStatusOut(id=contest.id, status=contest.status)


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>/files/<int:file_id>",
           summary="Download an entry's original image", tag="Contests", errors=(403, 404), download=True)
def contest_entry_original(contest_id: int, entry_id: int, file_id: int):
    """The entrant and staff always; the brand once the entry won (403 before: use `preview_url`)."""
    viewer = current_api_user()
    entry, stored = contest_views.entry_file(viewer, contest_id, entry_id, file_id)
    contest_views.check_original(viewer, entry.contest, entry)
    return send_attachment(stored)


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>/files/<int:file_id>/<variant>",
           summary="An entry's thumbnail (`thumb`) or watermarked preview (`view`)", tag="Contests",
           errors=(404,), download=True)
def contest_entry_variant(contest_id: int, entry_id: int, file_id: int, variant: str):
    """JPEG; 404 until the image job has made it, or to a viewer who may not see the entry."""
    _entry, stored = contest_views.entry_file(current_api_user(), contest_id, entry_id, file_id)
    return send_variant(stored, variant)


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>/reports", "POST",
           summary="Report an entry as a copy", tag="Contests", body=ContestReportIn, response=ContestReportOut,
           status=201, errors=(404, 409, 422))
def contest_report_entry(contest_id: int, entry_id: int, body: ContestReportIn):
    """The contest's brand or one of its entrants; staff decide from the files' hashes and upload times.
    While the contest is undecided and the entry in the running (409 `illegal_transition` after), never
    one's own entry (409 `own_entry`), once per reporter while the report is open (409 `already_reported`).
    The reporter and the entry's provider are notified of the decision."""
    row = contest_reports.report(current_api_user(), contest_id, entry_id, body.reason, body.original_entry_id)
    return ContestReportOut(id=row.id, entry_id=row.entry_id, status=row.status)


@api_route("/admin/contest-reports/<int:report_id>/decide", "POST", summary="Staff: decide a copy report",
           tag="Contests", body=ContestReportDecisionIn, response=ContestReportOut, roles=("admin",),
           errors=(403, 404, 409))
def contest_decide_report(report_id: int, body: ContestReportDecisionIn):
    """Upheld: the entry is removed from the contest and the removal is recorded as a strike on its
    provider (staff audit log); dismissed: nothing changes but the record."""
    row = contest_reports.decide(current_api_user(), report_id, body.uphold, body.note)
    return ContestReportOut(id=row.id, entry_id=row.entry_id, status=row.status)


@api_route("/contests/<int:contest_id>/awards/<int:award_id>/handover", "POST",
           summary="Hand over the full-resolution files (multipart `file`, repeatable)", tag="Contests",
           response=ContestAwardOut, roles=("provider",), errors=(404, 409, 413, 422), upload=True)
def contest_handover_deliver(contest_id: int, award_id: int):
    """The winner, once: `pending` → `delivered`. The brand confirms, or the handover confirms itself
    after the contest's handover days."""
    files = [(f.stream, f.filename or "") for f in request.files.getlist("file")]
    return award_out(contest_handover.deliver(current_api_user(), contest_id, award_id, files))


@api_route("/contests/<int:contest_id>/awards/<int:award_id>/confirm", "POST", summary="Confirm a handover",
           tag="Contests", response=ContestAwardOut, roles=("brand",), errors=(404, 409))
def contest_handover_confirm(contest_id: int, award_id: int):
    return award_out(contest_handover.confirm(current_api_user(), contest_id, award_id))


@api_route("/contests/<int:contest_id>/awards/<int:award_id>/files/<int:file_id>",
           summary="Download a handed-over file", tag="Contests", errors=(404,), download=True)
def contest_handover_file(contest_id: int, award_id: int, file_id: int):
    award = contest_handover.award_for(current_api_user(), contest_id, award_id)
    return send_one_of(award.handover_files, file_id)


@api_route("/contests/<int:contest_id>/awards/<int:award_id>/review", "POST",
           summary="Review the other side of a contest prize, once", tag="Contests", body=ReviewIn,
           response=ReviewOut, status=201, roles=("brand", "provider"), errors=(403, 404, 409, 422))
def contest_award_review(contest_id: int, award_id: int, body: ReviewIn):
    """The contest's brand reviews the winner (shown on the provider's page as a contest review, and
    counted in its rating), or the winner the brand — once each, as on a contract: once the handover
    is confirmed (409 `not_reviewable` before), double-blind until both are in or 14 days after the
    confirmation. The winner replies at `POST /reviews/{id}/reply`."""
    review = reviews.submit_for_award(current_api_user(), contest_id, award_id, body.scores.model_dump(), body.comment)
    return review_out(review)


@api_route("/contests/<int:contest_id>/awards/<int:award_id>/reviews",
           summary="A contest prize's reviews visible to the caller", tag="Contests", response=ReviewList,
           errors=(404,))
def contest_award_reviews(contest_id: int, award_id: int):
    """The contest's brand, the winner and staff; 404 to anyone else."""
    return ReviewList(items=[review_out(r) for r in reviews.for_award(current_api_user(), contest_id, award_id)])


def offer_out(purchase) -> ContestOfferOut:
    return ContestOfferOut(id=purchase.id, contest_id=purchase.contest_id, entry_id=purchase.entry_id,
                           brand_id=purchase.brand_id, provider_id=purchase.provider_id, price=purchase.price,
                           currency=purchase.currency, message=purchase.message, status=purchase.status,
                           created_at=purchase.created_at, expires_at=purchase.expires_at,
                           decided_at=purchase.decided_at, contract_id=purchase.contract_id)


@api_route("/contests/<int:contest_id>/entries/<int:entry_id>/offers", "POST",
           summary="Offer to buy an entry that won no prize", tag="Contests", body=ContestOfferIn,
           response=ContestOfferOut, status=201, roles=("brand",), errors=(403, 404, 409, 422))
def contest_offer(contest_id: int, entry_id: int, body: ContestOfferIn):
    """The contest's brand, once the contest is awarded, for an active entry that won nothing (409
    `contest_not_decided`, `entry_won`, `entry_bought`, `offer_open` otherwise). No money moves until the
    entrant accepts; unanswered, the offer expires after a week."""
    return offer_out(contest_purchases.make_offer(current_api_user(), contest_id, entry_id, body.price,
                                                  body.message))


@api_route("/contests/<int:contest_id>/offers", summary="Offers to buy entries", tag="Contests",
           query=PageQuery, response=ContestOfferPage, errors=(404,))
def contest_list_offers(contest_id: int, query: PageQuery):
    """The contest's brand: every offer it made; an entrant: the offers on its entries. Newest first."""
    offers = contest_purchases.offers_for(current_api_user(), contest_id)
    start = (query.page - 1) * query.per_page
    return ContestOfferPage(items=[offer_out(o) for o in offers[start:start + query.per_page]], page=query.page,
                            per_page=query.per_page, total=len(offers))


@api_route("/contests/<int:contest_id>/offers/<int:offer_id>/accept", "POST", summary="Accept an offer to buy",
           tag="Contests", response=ContestOfferOut, roles=("provider",), errors=(403, 404, 409))
def contest_accept_offer(contest_id: int, offer_id: int):
    """The entrant: a one-milestone contract for the entry, its milestone funded from the brand's wallet
    in one posting (`prize:contest:<id>:buy:<entry id>`) — exactly once, whatever races. 409
    `insufficient_funds` when the wallet does not cover the price (nothing changes)."""
    return offer_out(contest_purchases.accept(current_api_user(), contest_id, offer_id))


@api_route("/contests/<int:contest_id>/offers/<int:offer_id>/decline", "POST", summary="Decline an offer to buy",
           tag="Contests", response=ContestOfferOut, roles=("provider",), errors=(403, 404, 409))
def contest_decline_offer(contest_id: int, offer_id: int):
    return offer_out(contest_purchases.decline(current_api_user(), contest_id, offer_id))


@api_route("/contests/<int:contest_id>/offers/<int:offer_id>/withdraw", "POST", summary="Withdraw an offer to buy",
           tag="Contests", response=ContestOfferOut, roles=("brand",), errors=(403, 404, 409))
def contest_withdraw_offer(contest_id: int, offer_id: int):
    """The brand, while the entrant has not answered."""
    return offer_out(contest_purchases.withdraw(current_api_user(), contest_id, offer_id))
