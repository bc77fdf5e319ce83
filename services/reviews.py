"""Reviews: each party of a contract reviews the other once, after at least one milestone was
released or decided. Double-blind: a review is shown only when both are in, or when the window
(14 days after the contract ends) has closed. Staff may hide an abusive review, with a reason.

That moment is stored on each review (`visible_from`): set to the window's close when the review is
written (or when the contract ends, if it had not), and brought forward to "now" for both reviews
when the second one comes in. Every check of visibility — pages, API, ratings — reads that column.

Anyone signed in who can read a review may report it, once. Staff close a review's open reports
together: hiding the review (both parties are told why) or keeping it; reporters are told the outcome
and why."""
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Contract, Review, ReviewReport, User
from models.contract import FINISHED
from models.review import SCORE_FIELDS
from models.types import utcnow
from services import audit, destinations, notifications, permissions
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import Page, paginate
from services.rating_jobs import request_recompute

WINDOW = timedelta(days=14)
# Shared with the web forms, so a browser and the API are told the same.
REPLY_LENGTH = _l("Write a reply of 1 to 2,000 characters.")
REPORT_LENGTH = _l("Say what is wrong (3 to 2000 characters).")
DECISION_LENGTH = _l("Give the reason (3 to 2000 characters).")


def window_closes_at(contract: Contract):
    return contract.completed_at + WINDOW if contract.completed_at else None


def window_closed(contract: Contract) -> bool:
    closes = window_closes_at(contract)
    return closes is not None and utcnow() >= closes


def _public_from(reviews, at: datetime | None) -> None:
    """Bring the moment these reviews become public forward to `at` (never later than it was)."""
    for review in reviews:
        if at is not None and (review.visible_from is None or at < review.visible_from):
            review.visible_from = at


def published(now: datetime):
    """SQL: the review is public at `now` (not hidden, both parties in or the window closed)."""
    return and_(Review.hidden_at.is_(None), Review.visible_from <= now)


def is_published(review: Review, now: datetime | None = None) -> bool:
    """The same rule as `published`, for a loaded review."""
    return review.hidden_at is None and review.visible_from is not None and review.visible_from <= (now or utcnow())


def contract_ended(contract: Contract) -> None:
    """A contract that ends starts the review window of the reviews already written on it. The caller
    holds the contract's row lock (as `submit` takes it), so a review being written at this moment is
    either seen here or sees the contract ended."""
    _public_from(db.session.scalars(select(Review).where(Review.contract_id == contract.id)),
                 window_closes_at(contract))


def _share_company(contract: Contract) -> bool:
    """Parties registered under the same company number may not rate each other. Only numbers staff
    verified count, on both sides: a submitted or self-declared number is a bare claim, and a brand
    declaring the number its provider holds verified would otherwise silence that provider's review."""
    brand = contract.brand.brand_profile
    number = contract.provider.provider_profile.verified_registration_number
    return bool(brand and number and brand.verified_registration_number == number)


def review_problem(actor: User, contract: Contract):
    if actor is None or actor.account_id not in (contract.brand_id, contract.provider_id):
        return NotFound()
    if not permissions.allowed(actor, "review.write", contract):
        return Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")
    if not any(m.status in FINISHED for m in contract.milestones):
        return Conflict(_l("Reviews open once a milestone has been released or decided."), code="not_reviewable")
    if window_closed(contract):
        return Conflict(_l("The review window for this contract has closed."), code="review_window_closed")
    if _share_company(contract):
        return Forbidden(_l("Parties registered under the same company cannot review each other."),
                         code="same_company")
    if any(r.author_id == actor.account_id for r in reviews_of_contract(contract)):
        return Conflict(_l("You have already reviewed this contract."), code="already_reviewed")
    return None


def reviews_of_contract(contract: Contract) -> list[Review]:
    return list(db.session.scalars(select(Review).where(Review.contract_id == contract.id).order_by(Review.id)))


def submit(actor: User, contract_id: int, scores: dict[str, int], comment: str) -> Review:
    contract = locked_get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    if (problem := review_problem(actor, contract)) is not None:
        raise problem
    comment = (comment or "").strip()
    check({
        **{f"scores.{name}": not (isinstance(scores.get(name), int) and 1 <= scores[name] <= 5)
           and _l("A whole number from 1 to 5.") for name in SCORE_FIELDS},
        "comment": len(comment) > 5000 and _l("At most 5000 characters."),
    })
    is_brand = actor.account_id == contract.brand_id
    # A review is the organisation's (its principal's), as ratings and "once per party" count them.
    review = Review(contract_id=contract.id, author_id=actor.account_id,
                    subject_id=contract.provider_id if is_brand else contract.brand_id,
                    author_role="brand" if is_brand else "provider", comment=comment,
                    **{name: scores[name] for name in SCORE_FIELDS})
    _public_from([review], window_closes_at(contract))
    counterpart = [r for r in reviews_of_contract(contract) if r.author_id != actor.account_id]
    if counterpart:  # both are in: the two reviews are public from now on
        _public_from([review, *counterpart], utcnow())
    db.session.add(review)
    db.session.flush()  # unique (contract, author): a second review fails here even in a race
    # The reader learns whether both reviews are out now, or else when this one comes out on its own
    # (None while the contract runs: its window has not started).
    when = {"published": True} if counterpart else \
        {"until": review.visible_from.isoformat() if review.visible_from else None}
    notifications.notify([review.subject_id], "review_received", to=destinations.contract(contract.id, "reviews"),
                         tender=contract.title, **when)
    request_recompute(contract.provider_id)
    return review


def visible_to(review: Review, viewer: User | None) -> bool:
    if viewer is not None and (viewer.is_admin or viewer.account_id == review.author_id):
        return True
    return is_published(review)


def for_contract(viewer: User | None, contract_id: int) -> list[Review]:
    contract = db.session.get(Contract, contract_id)
    if contract is None or viewer is None or not (
            viewer.is_admin or viewer.account_id in (contract.brand_id, contract.provider_id)):
        raise NotFound()
    return [r for r in reviews_of_contract(contract) if visible_to(r, viewer)]


def public_reviews_of(subject_id: int, limit: int = 50, *, by: str = "brand") -> list[Review]:
    """Brands' reviews of a provider (or, by="provider", providers' reviews of a brand) that anyone may
    read (both sides in, or the window closed)."""
    return list(db.session.scalars(select(Review).where(Review.subject_id == subject_id, Review.author_role == by,
                                                        published(utcnow()))
                                   .order_by(Review.created_at.desc()).limit(limit)))


def reply(provider: User, review_id: int, text: str) -> Review:
    review = locked_get(Review, review_id)
    if review is None or provider is None or review.subject_id != provider.id or review.author_role != "brand":
        raise NotFound()
    if not visible_to(review, None):
        raise Conflict(_l("You can reply once the review is published."), code="not_published")
    if review.reply is not None:
        raise Conflict(_l("A review takes one reply."), code="already_replied")
    text = (text or "").strip()
    check({"reply": not 1 <= len(text) <= 2000 and REPLY_LENGTH})
    review.reply, review.replied_at = text, utcnow()
    return review


def report(user: User, review_id: int, reason: str) -> ReviewReport:
    review = db.session.get(Review, review_id)
    if review is None or user is None or not visible_to(review, user):
        raise NotFound()
    if user.account_id == review.author_id:
        raise Forbidden(_l("You cannot report your own review."))
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 2000 and REPORT_LENGTH})
    if review.hidden_at is not None:
        raise Conflict(_l("This review is already hidden."), code="already_hidden")
    if reported_by(user, [review.id]):
        raise Conflict(_l("You have already reported this review."), code="already_reported")
    row = ReviewReport(review_id=review.id, reporter_id=user.id, reason=reason)
    db.session.add(row)
    db.session.flush()  # unique (reporter, review): a twin request racing this one fails here
    return row


def reported_by(user: User | None, review_ids) -> set[int]:
    """Which of these reviews the user has reported (each may be reported once)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(db.session.scalars(select(ReviewReport.review_id).where(ReviewReport.reporter_id == user.id,
                                                                      ReviewReport.review_id.in_(review_ids))))


def _decision(staff: User, review_id: int, reason: str) -> tuple[Review, str]:
    """What hide and keep both check; the review's row is locked, so two decisions on it take turns."""
    if staff is None or not staff.is_admin:
        raise Forbidden()
    review = locked_get(Review, review_id)
    if review is None:
        raise NotFound()
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 2000 and DECISION_LENGTH})
    return review, reason


def _close_reports(staff: User, review: Review, outcome: str, reason: str) -> list[ReviewReport]:
    """Close the review's open reports with staff's decision (who, when, what, why) and tell each
    reporter. A reporter outside the contract cannot open it, so its link goes to the public reviews."""
    rows = list(db.session.scalars(select(ReviewReport).where(ReviewReport.review_id == review.id,
                                                              ReviewReport.handled_at.is_(None))))
    contract = review.contract
    for row in rows:
        row.handled_at, row.handled_by_id, row.outcome, row.handled_reason = utcnow(), staff.id, outcome, reason
    reporters = {row.reporter_id for row in rows}
    parties = reporters & {contract.brand_id, contract.provider_id}
    kind, told = f"review_report_{outcome}", {"author": review.author.display_name, "reason": reason}
    public = destinations.provider(review.subject_id, "reviews") if review.author_role == "brand" else None
    notifications.notify(parties, kind, to=destinations.review(contract.id, review.id), **told)
    notifications.notify(reporters - parties, kind, to=public, **told)
    return rows


def hide(staff: User, review_id: int, reason: str) -> Review:
    """Staff hide an abusive review; the reason stays on record, the reports are closed with it, and
    both parties are told why."""
    review, reason = _decision(staff, review_id, reason)
    if review.hidden_at is not None:
        raise Conflict(_l("This review is already hidden."), code="already_hidden")
    was_public = is_published(review)
    review.hidden_at, review.hidden_reason, review.hidden_by_id = utcnow(), reason, staff.id
    closed = _close_reports(staff, review, "hidden", reason)
    reporters = {row.reporter_id for row in closed}
    audit.record(staff, "review.hide", "review", review.id,
                 before={"hidden": False, "published": was_public, "open_reports": len(closed),
                         "contract_id": review.contract_id},
                 after={"hidden": True, "published": False, "open_reports": 0, "contract_id": review.contract_id},
                 reason=reason,
                 affected_user_id=review.author_id, other_user_id=review.subject_id)
    # Both parties learn why: the reviewed side only if the review had come out (staff's reason could
    # quote a blind review) and it has not just been told as a reporter.
    about = {"to": destinations.review(review.contract_id, review.id), "tender": review.contract.title,
             "reason": reason}
    notifications.notify([review.author_id], "review_hidden", **about)
    if was_public:
        notifications.notify({review.subject_id} - reporters, "review_of_you_hidden", **about)
    request_recompute(review.contract.provider_id)
    return review


def keep(staff: User, review_id: int, reason: str) -> Review:
    """Staff find nothing to hide in a reported review: its open reports are closed as "kept"."""
    review, reason = _decision(staff, review_id, reason)
    closed = _close_reports(staff, review, "kept", reason)
    if not closed:
        raise Conflict(_l("This review has no open reports."), code="no_open_reports")
    audit.record(staff, "review.keep", "review", review.id,
                 before={"open_reports": len(closed), "contract_id": review.contract_id},
                 after={"open_reports": 0, "contract_id": review.contract_id}, reason=reason,
                 affected_user_id=review.author_id, other_user_id=review.subject_id)
    return review


@dataclass(frozen=True)
class ReportedReview:
    review: Review
    reports: list[ReviewReport]


def report_queue(page: int = 1, per_page: int = 20) -> Page:
    """Staff's queue: reviews with open reports, the longest waiting first, each with those reports."""
    waiting = (select(ReviewReport.review_id, func.min(ReviewReport.created_at).label("since"))
               .where(ReviewReport.handled_at.is_(None)).group_by(ReviewReport.review_id).subquery())
    result = paginate(select(Review).join(waiting, waiting.c.review_id == Review.id)
                      .options(selectinload(Review.author), selectinload(Review.subject),
                               selectinload(Review.contract).selectinload(Contract.tender))
                      .order_by(waiting.c.since, Review.id), page, per_page)
    reports: dict[int, list[ReviewReport]] = {review.id: [] for review in result.items}
    for row in db.session.scalars(select(ReviewReport).options(selectinload(ReviewReport.reporter))
                                  .where(ReviewReport.review_id.in_(reports), ReviewReport.handled_at.is_(None))
                                  .order_by(ReviewReport.created_at, ReviewReport.id)):
        reports[row.review_id].append(row)
    return replace(result, items=[ReportedReview(review, reports[review.id]) for review in result.items])
