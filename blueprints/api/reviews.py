"""Reviews, the provider directory with ratings, rating history, and the staff-started ratings recompute
(its progress is read at GET /api/v1/jobs/{id}, blueprints/api/jobs.py)."""

from blueprints.api.presenters import provider_out, review_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.jobs import JobStarted
from blueprints.api.schemas.providers import ProviderListQuery, ProviderPage, RatingHistory, RatingPoint
from blueprints.api.schemas.reviews import ReasonIn, ReplyIn, ReviewIn, ReviewList, ReviewOut
from services import directory, profiles, rating_jobs, reviews


@api_route("/contracts/<int:contract_id>/reviews", "POST", summary="Review the other party, once", tag="Reviews",
           body=ReviewIn, response=ReviewOut, status=201, roles=("brand", "provider"),
           errors=(403, 404, 409, 422))
def submit_review(contract_id: int, body: ReviewIn):
    """After at least one milestone was released or decided. Double-blind: the other side sees it
    when both reviews are in or 14 days after the contract ends."""
    review = reviews.submit(current_api_user(), contract_id, body.scores.model_dump(), body.comment)
    return review_out(review)


@api_route("/contracts/<int:contract_id>/reviews", summary="The contract's reviews visible to the caller",
           tag="Reviews", response=ReviewList, errors=(404,))
def contract_reviews(contract_id: int):
    return ReviewList(items=[review_out(r) for r in reviews.for_contract(current_api_user(), contract_id)])


@api_route("/reviews/<int:review_id>/reply", "POST", summary="The provider's one public reply", tag="Reviews",
           body=ReplyIn, response=ReviewOut, roles=("provider",), errors=(404, 409, 422))
def reply(review_id: int, body: ReplyIn):
    return review_out(reviews.reply(current_api_user(), review_id, body.reply))


@api_route("/reviews/<int:review_id>/reports", "POST", summary="Report an abusive review to staff, once", tag="Reviews",
           body=ReasonIn, status=201, errors=(403, 404, 409, 422))
def report(review_id: int, body: ReasonIn):
    """Anyone signed in who can read the review: its parties, or anyone once it is published."""
    return {"report": reviews.report(current_api_user(), review_id, body.reason).id}


@api_route("/admin/reviews/<int:review_id>/hide", "POST", summary="Hide an abusive review, with a reason",
           tag="Reviews", body=ReasonIn, response=ReviewOut, roles=("admin",),
           errors=(403, 404, 409, 422))
def hide(review_id: int, body: ReasonIn):
    return review_out(reviews.hide(current_api_user(), review_id, body.reason))


@api_route("/admin/reviews/<int:review_id>/keep", "POST", summary="Keep a reported review: close its open reports",
           tag="Reviews", body=ReasonIn, response=ReviewOut, roles=("admin",),
           errors=(403, 404, 409, 422))
def keep(review_id: int, body: ReasonIn):
    """The reason is recorded on each report and sent to its reporter."""
    return review_out(reviews.keep(current_api_user(), review_id, body.reason))


@api_route("/providers", summary="The provider directory, best first", tag="Providers",
           query=ProviderListQuery, response=ProviderPage, auth=False)
def list_providers(query: ProviderListQuery):
    """Best first: stars, then score, then verified; new providers last. With `q`: providers holding every
    word, best matches first.

    Page by cursor: follow `next_cursor` (as `?cursor=`) until it is null — each page as fast as the first.
    `page` still works but slows down the deeper it goes. `total` is exact up to a cap, and the cap itself
    with `total_is_estimate` true beyond. Searches (`q`, ranked by relevance) page by `page` only."""
    page = directory.search(category=query.category, province=query.province, city=query.city,
                            min_stars=query.min_stars, verified=query.verified, q=query.q,
                            page=query.page, per_page=query.per_page, cursor=query.cursor)
    ids = [p.user_id for p in page.items]
    rated, badges = directory.latest_ratings(ids), directory.badges_of(ids)
    return ProviderPage(items=[provider_out(p, rated.get(p.user_id), badges[p.user_id]) for p in page.items],
                        page=page.page, per_page=page.per_page, total=page.total,
                        total_is_estimate=page.total_is_estimate, next_cursor=page.next_cursor)


@api_route("/providers/<int:provider_id>/ratings", summary="A provider's rating history (its trend)",
           tag="Providers", response=RatingHistory, auth=False, errors=(404,))
def rating_history(provider_id: int):
    profiles.get_provider(provider_id)
    return RatingHistory(items=[RatingPoint(computed_at=r.computed_at, score=float(r.score),
                                            stars=r.stars) for r in directory.history(provider_id)])


@api_route("/admin/ratings/recompute", "POST", summary="Recompute every provider's rating now", tag="Staff",
           response=JobStarted, status=202, roles=("admin",), errors=(403,))
def recompute_all():
    return JobStarted(job_id=rating_jobs.request_full_recompute(current_api_user()))
