"""Reviews: each party of a contract reviews the other once, after at least one milestone was
released or decided. Double-blind: a review is shown only when both are in, or when the window
(14 days after the contract ends) has closed. Staff may hide an abusive review, with a reason.

A contest prize (a ContestAward) takes reviews the same way: the contest's brand and the winner
review each other once, by the same rules — both ways, double-blind, the same window. The window opens
when the handover is confirmed (by the brand, or by itself after the contest's handover days): a
winner's work is the full-resolution files it hands over, not the preview that won, so that is the
moment the brand can judge it — as a contract is reviewed once work has been accepted, and as
99designs and zbj.com ask for the review after the handover. Before it, 409 `not_reviewable`.
`Occasion` is what both kinds have in common: the two parties, a title, the window, the page.

That moment is stored on each review (`visible_from`): set to the window's close when the review is
written (or when the contract ends, if it had not), and brought forward to "now" for both reviews
when the second one comes in. Every check of visibility — pages, API, ratings — reads that column.

Anyone signed in who can read a review may report it, once. Staff close a review's open reports
together: hiding the review (both parties are told why) or keeping it; reporters are told the outcome
and why."""
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import ContestAward, Contract, Review, ReviewReport, User
from models.contract import FINISHED
from models.review import SCORE_FIELDS
from models.types import utcnow
from services import audit, destinations, notifications, permissions
from services.destinations import Destination
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


@dataclass(frozen=True)
class Occasion:
    """What a review is of — a contract, or a contest prize — as the rules read it: who the brand and
    the provider are (principals), what it is called, when its review window closes (None: not
    started), and the page its reviews are on."""
    brand_id: int
    provider_id: int
    title: str
    closes_at: datetime | None
    subject: object = field(repr=False)  # the Contract or the ContestAward (for permissions)
    contract_id: int | None = None
    contest_id: int | None = None
    award_id: int | None = None

    @property
    def is_contest(self) -> bool:
        return self.award_id is not None

    def page(self, anchor: str | None = None) -> Destination:
        if self.is_contest:
            return destinations.contest(self.contest_id, anchor)
        return destinations.contract(self.contract_id, anchor)

    @property
    def record(self) -> dict:
        """What the staff audit log keeps of it (services.audit; the staff log links from it)."""
        if self.is_contest:
            return {"contest_id": self.contest_id, "contest_award_id": self.award_id}
        return {"contract_id": self.contract_id}

    def closed(self) -> bool:
        return self.closes_at is not None and utcnow() >= self.closes_at


def of_contract(contract: Contract) -> Occasion:
    return Occasion(brand_id=contract.brand_id, provider_id=contract.provider_id, title=contract.title,
                    closes_at=window_closes_at(contract), subject=contract, contract_id=contract.id)


def of_award(award: ContestAward) -> Occasion:
    """A contest prize: its window runs from the handover's confirmation."""
    confirmed = award.handover_confirmed_at
    return Occasion(brand_id=award.contest.brand_id, provider_id=award.entry.provider_id, title=award.contest.title,
                    closes_at=confirmed + WINDOW if confirmed else None, subject=award,
                    contest_id=award.contest_id, award_id=award.id)


def occasion_of(review: Review) -> Occasion:
    return of_award(review.contest_award) if review.contest_award_id is not None else of_contract(review.contract)


def window_closed(contract: Contract) -> bool:
    return of_contract(contract).closed()


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
    either seen here or sees the contract ended. (A contest prize needs no such step: its reviews are
    written only once its window has started.)"""
    _public_from(db.session.scalars(select(Review).where(Review.contract_id == contract.id)),
                 window_closes_at(contract))


def _share_company(occasion: Occasion) -> bool:
    """Parties registered under the same company number may not rate each other. Only numbers staff
    verified count, on both sides: a submitted or self-declared number is a bare claim, and a brand
    declaring the number its provider holds verified would otherwise silence that provider's review."""
    brand = db.session.get(User, occasion.brand_id).brand_profile
    provider = db.session.get(User, occasion.provider_id).provider_profile
    number = provider.verified_registration_number if provider else None
    return bool(brand and number and brand.verified_registration_number == number)


def _problem(actor: User, occasion: Occasion, opened: bool, *, not_open: str, closed: str, already: str):
    """What stands in the way of `actor` reviewing this occasion, or None (the rules both kinds share)."""
    if actor is None or actor.account_id not in (occasion.brand_id, occasion.provider_id):
        return NotFound()
    if not permissions.allowed(actor, "review.write", occasion.subject):
        return Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")
    if not opened:
        return Conflict(not_open, code="not_reviewable")
    if occasion.closed():
        return Conflict(closed, code="review_window_closed")
    if _share_company(occasion):
        return Forbidden(_l("Parties registered under the same company cannot review each other."),
                         code="same_company")
    if any(r.author_id == actor.account_id for r in reviews_of(occasion)):
        return Conflict(already, code="already_reviewed")
    return None


def review_problem(actor: User, contract: Contract):
    return _problem(actor, of_contract(contract), any(m.status in FINISHED for m in contract.milestones),
                    not_open=_l("Reviews open once a milestone has been released or decided."),
                    closed=_l("The review window for this contract has closed."),
                    already=_l("You have already reviewed this contract."))


def award_review_problem(actor: User, award: ContestAward):
    """A contest prize: reviews open once its handover is confirmed (see the module's docstring)."""
    return _problem(actor, of_award(award), award.handover_confirmed_at is not None,
                    not_open=_l("Reviews of a contest prize open once its handover is confirmed."),
                    closed=_l("The review window for this contest prize has closed."),
                    already=_l("You have already reviewed this contest prize."))


def reviews_of(occasion: Occasion) -> list[Review]:
    where = (Review.contest_award_id == occasion.award_id) if occasion.is_contest \
        else (Review.contract_id == occasion.contract_id)
    return list(db.session.scalars(select(Review).where(where).order_by(Review.id)))


def reviews_of_contract(contract: Contract) -> list[Review]:
    return reviews_of(of_contract(contract))


def submit(actor: User, contract_id: int, scores: dict[str, int], comment: str) -> Review:
    contract = locked_get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    if (problem := review_problem(actor, contract)) is not None:
        raise problem
    return _write(actor, of_contract(contract), scores, comment)


def submit_for_award(actor: User, contest_id: int, award_id: int, scores: dict[str, int], comment: str) -> Review:
    """The contest's brand reviews the winner of this prize, or the winner the brand: once each. The
    award's row lock orders two reviews of it (the second sees the first, as on a contract)."""
    award = locked_get(ContestAward, award_id)
    if award is None or award.contest_id != contest_id:
        raise NotFound()
    if (problem := award_review_problem(actor, award)) is not None:
        raise problem
    return _write(actor, of_award(award), scores, comment)


def _write(actor: User, occasion: Occasion, scores: dict[str, int], comment: str) -> Review:
    comment = (comment or "").strip()
    check({
        **{f"scores.{name}": not (isinstance(scores.get(name), int) and 1 <= scores[name] <= 5)
           and _l("A whole number from 1 to 5.") for name in SCORE_FIELDS},
        "comment": len(comment) > 5000 and _l("At most 5000 characters."),
    })
    is_brand = actor.account_id == occasion.brand_id
    # A review is the organisation's (its principal's), as ratings and "once per party" count them.
    review = Review(contract_id=occasion.contract_id, contest_award_id=occasion.award_id, author_id=actor.account_id,
                    subject_id=occasion.provider_id if is_brand else occasion.brand_id,
                    author_role="brand" if is_brand else "provider", comment=comment,
                    **{name: scores[name] for name in SCORE_FIELDS})
    _public_from([review], occasion.closes_at)
    counterpart = [r for r in reviews_of(occasion) if r.author_id != actor.account_id]
    if counterpart:  # both are in: the two reviews are public from now on
        _public_from([review, *counterpart], utcnow())
    db.session.add(review)
    db.session.flush()  # unique (contract or award, author): a second review fails here even in a race
    # The reader learns whether both reviews are out now, or else when this one comes out on its own
    # (None while the contract runs: its window has not started).
    when = {"published": True} if counterpart else \
        {"until": review.visible_from.isoformat() if review.visible_from else None}
    about = {"contest": occasion.title} if occasion.is_contest else {"tender": occasion.title}
    notifications.notify([review.subject_id], "review_received", to=occasion.page("reviews"), **about, **when)
    request_recompute(occasion.provider_id)
    return review


def visible_to(review: Review, viewer: User | None) -> bool:
    if viewer is not None and (viewer.is_admin or viewer.account_id == review.author_id):
        return True
    return is_published(review)


def is_party(viewer: User | None, occasion: Occasion) -> bool:
    return viewer is not None and viewer.is_authenticated and (
        viewer.is_admin or viewer.account_id in (occasion.brand_id, occasion.provider_id))


def _visible_of(viewer: User | None, occasion: Occasion) -> list[Review]:
    if not is_party(viewer, occasion):
        raise NotFound()
    return [r for r in reviews_of(occasion) if visible_to(r, viewer)]


def for_contract(viewer: User | None, contract_id: int) -> list[Review]:
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    return _visible_of(viewer, of_contract(contract))


def for_award(viewer: User | None, contest_id: int, award_id: int) -> list[Review]:
    """A contest prize's reviews the viewer may read: its brand, its winner and staff (404 to others)."""
    award = db.session.get(ContestAward, award_id)
    if award is None or award.contest_id != contest_id:
        raise NotFound()
    return _visible_of(viewer, of_award(award))


@dataclass(frozen=True)
class AwardReviews:
    """A contest prize's reviews as one of its parties (or staff) sees them on the contest page."""
    award: ContestAward
    reviews: list[Review]
    can_review: bool
    not_yet: str | None  # why the viewer cannot review it (yet, or any more), when that is worth saying


def award_reviews(viewer: User | None, awards: list[ContestAward]) -> list[AwardReviews]:
    """The prizes whose reviews the viewer may read (as their brand, winner or staff), with what it may do."""
    shown = []
    for award in awards:
        occasion = of_award(award)
        if not is_party(viewer, occasion):
            continue
        problem = None if viewer.is_admin else award_review_problem(viewer, award)
        said = problem is not None and problem.code in ("not_reviewable", "review_window_closed")
        shown.append(AwardReviews(award=award, reviews=_visible_of(viewer, occasion),
                                  can_review=not viewer.is_admin and problem is None,
                                  not_yet=problem.message if said else None))
    return shown


def public_reviews_of(subject_id: int, limit: int = 50, *, by: str = "brand") -> list[Review]:
    """Brands' reviews of a provider (or, by="provider", providers' reviews of a brand) that anyone may
    read (both sides in, or the window closed), with what each is about (a contest's title is shown)."""
    return list(db.session.scalars(select(Review).where(Review.subject_id == subject_id, Review.author_role == by,
                                                        published(utcnow()))
                                   .options(selectinload(Review.contest_award).selectinload(ContestAward.contest))
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
    occasion = occasion_of(review)
    for row in rows:
        row.handled_at, row.handled_by_id, row.outcome, row.handled_reason = utcnow(), staff.id, outcome, reason
    reporters = {row.reporter_id for row in rows}
    parties = reporters & {occasion.brand_id, occasion.provider_id}
    kind, told = f"review_report_{outcome}", {"author": review.author.display_name, "reason": reason}
    public = destinations.provider(review.subject_id, "reviews") if review.author_role == "brand" else None
    notifications.notify(parties, kind, to=occasion.page(f"review-{review.id}"), **told)
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
    occasion = occasion_of(review)
    audit.record(staff, "review.hide", "review", review.id,
                 before={"hidden": False, "published": was_public, "open_reports": len(closed), **occasion.record},
                 after={"hidden": True, "published": False, "open_reports": 0, **occasion.record},
                 reason=reason,
                 affected_user_id=review.author_id, other_user_id=review.subject_id)
    # Both parties learn why: the reviewed side only if the review had come out (staff's reason could
    # quote a blind review) and it has not just been told as a reporter.
    about = {"to": occasion.page(f"review-{review.id}"), "tender": occasion.title, "reason": reason}
    notifications.notify([review.author_id], "review_hidden", **about)
    if was_public:
        notifications.notify({review.subject_id} - reporters, "review_of_you_hidden", **about)
    request_recompute(occasion.provider_id)
    return review


def keep(staff: User, review_id: int, reason: str) -> Review:
    """Staff find nothing to hide in a reported review: its open reports are closed as "kept"."""
    review, reason = _decision(staff, review_id, reason)
    closed = _close_reports(staff, review, "kept", reason)
    if not closed:
        raise Conflict(_l("This review has no open reports."), code="no_open_reports")
    record = occasion_of(review).record
    audit.record(staff, "review.keep", "review", review.id,
                 before={"open_reports": len(closed), **record},
                 after={"open_reports": 0, **record}, reason=reason,
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
                               selectinload(Review.contract).selectinload(Contract.tender),
                               selectinload(Review.contest_award).selectinload(ContestAward.contest))
                      .order_by(waiting.c.since, Review.id), page, per_page)
    reports: dict[int, list[ReviewReport]] = {review.id: [] for review in result.items}
    for row in db.session.scalars(select(ReviewReport).options(selectinload(ReviewReport.reporter))
                                  .where(ReviewReport.review_id.in_(reports), ReviewReport.handled_at.is_(None))
                                  .order_by(ReviewReport.created_at, ReviewReport.id)):
        reports[row.review_id].append(row)
    return replace(result, items=[ReportedReview(review, reports[review.id]) for review in result.items])
