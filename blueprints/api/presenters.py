"""Model rows → API schemas, deciding per viewer what each may see."""
from decimal import Decimal

from flask import url_for

from blueprints.api.schemas.accounts import UserOut
from blueprints.api.schemas.bids import (
    AttachmentOut,
    BidOut,
    MilestonePlanOut,
    ProviderSummary,
    RevisionOut,
    ScoreOut,
    SlotOut,
)
from blueprints.api.schemas.contracts import KpiResultOut
from blueprints.api.schemas.notifications import NotificationOut
from blueprints.api.schemas.providers import ProviderOut, ShowcaseCaseOut, VerificationOut
from blueprints.api.schemas.reviews import ReviewOut, Scores
from blueprints.api.schemas.tenders import BafoOut, BrandSummary, EnvelopesOut, KpiOut, TenderOut
from blueprints.links import notification_link
from models import Bid, Notification, ProviderProfile, Tender, User
from services import brand_scores, permissions, ratings
from services.bidding import can_see_contents, can_see_first_offer, can_see_price, visible_bid_count
from services.tenders import ListingExtras
from texts.notifications import render as render_notification


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(user)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def kpi_out(kpi) -> KpiOut:
    return KpiOut(id=kpi.id, name=kpi.name, target=_number(kpi.target), unit=kpi.unit, direction=kpi.direction,
                  bonus_bps=kpi.bonus_bps, penalty_bps=kpi.penalty_bps)


def kpi_result_out(result) -> KpiResultOut:
    return KpiResultOut(id=result.id, kpi_id=result.kpi_id, milestone_id=result.milestone_id,
                        value=_number(result.value), met=result.met, note=result.note or "",
                        recorded_at=result.created_at)


def verification_out(profile) -> VerificationOut:
    return VerificationOut(verification_status=profile.verification_status,
                           registration_number=profile.registration_number,
                           legal_representative=profile.legal_representative,
                           licence_uploaded=bool(profile.licence_image), reason=profile.verification_reason)


def brand_summary(brand: User) -> BrandSummary:
    profile = brand.brand_profile
    if profile is None:
        return BrandSummary(id=brand.id, display_name=brand.display_name, store_name=None, size_tier=None)
    inputs, result = brand_scores.explain(profile.brand_score_inputs)
    return BrandSummary(id=brand.id, display_name=brand.display_name, store_name=profile.store_name,
                        size_tier=profile.size_tier,
                        score=None if profile.brand_score is None else float(profile.brand_score),
                        new=profile.brand_score is None, payment_days=result.payment_days,
                        disputes_lost_12m=inputs.disputes_lost, verified=profile.verified)


def tender_out(tender: Tender, viewer: User | None, counts: dict[int, int] | None = None,
               extras: ListingExtras | None = None, brands: dict[int, BrandSummary] | None = None) -> TenderOut:
    """`extras` (services.tenders.listing_extras): the bid count, KPIs and criteria read with the page, else
    the tender's own; `brands`: summaries already made for this page (a brand posts many of its tenders)."""
    if extras is not None:
        counts, kpis, criteria = {tender.id: extras.bid_count}, extras.kpis, extras.criteria
    else:
        kpis, criteria = tender.kpis, tender.criteria
    if brands is None:
        brand = brand_summary(tender.brand)
    elif (brand := brands.get(tender.brand_id)) is None:
        brand = brands[tender.brand_id] = brand_summary(tender.brand)
    return TenderOut(
        id=tender.id, title=tender.title, category=tender.category, description=tender.description,
        budget_min=tender.budget_min, budget_max=tender.budget_max, currency=tender.currency,
        bid_deadline=tender.bid_deadline, sealed=tender.sealed, rounds=tender.rounds,
        status=tender.status, current_round=tender.current_round_kind,
        bid_count=visible_bid_count(tender, viewer, counts),
        kpis=[kpi_out(k) for k in kpis],
        brand=brand,
        created_at=tender.created_at, sealed_opening=tender.sealed_opening, invited_only=tender.invited_only,
        requires_verified=tender.requires_verified, min_stars=tender.min_stars,
        margin_required=tender.margin_required or 0,
        criteria=_criteria_out(tender.rounds, criteria), blind_grading=tender.blind_grading,
        two_envelope=tender.two_envelope,
        envelopes=envelopes_out(tender.envelopes) if tender.two_envelope else None,
        engagement=tender.engagement, period_days=tender.period_days, periods=tender.periods, unit=tender.unit,
    )


def envelopes_out(envelopes) -> EnvelopesOut:
    return EnvelopesOut(stage=envelopes.status, technical_opened_at=envelopes.technical_opened_at,
                        price_opened_at=envelopes.price_opened_at)


def bafo_out(round_) -> BafoOut:
    return BafoOut(id=round_.id, closes_at=round_.closes_at, open=round_.open, created_at=round_.created_at)


def _criteria_out(rounds: list[str], criteria) -> dict:
    out: dict[str, list] = {}
    for c in criteria:
        out.setdefault(rounds[c.round_index], []).append(
            {"name": c.name, "weight": c.weight, "deal_breaker": c.deal_breaker})
    return out


def _breakdown(rating) -> dict:
    if rating is None:
        return {}
    parts = ratings.explain(rating.inputs).parts
    return {name: {"score": float(getattr(rating, name)), "weight": ratings.WEIGHTS[name], **parts[name]}
            for name in ratings.WEIGHTS}


def provider_out(profile: ProviderProfile, rating=None, badges=()) -> ProviderOut:
    """`rating`: the provider's newest ProviderRating, if it has been rated."""
    inputs = rating.inputs if rating is not None else {}
    return ProviderOut(
        score=float(rating.score) if rating is not None else None,
        score_breakdown=_breakdown(rating),
        review_count=inputs.get("review_count", 0), completed_contracts=inputs.get("completed_contracts", 0),
        rated_at=rating.computed_at if rating is not None else None,
        badges=[{"category": b.category, "period": b.period, "level": b.level} for b in badges],
        id=profile.user_id, display_name=profile.user.display_name, company_name=profile.company_name,
        categories=profile.categories, province=profile.province, city=profile.city,
        description=profile.description, team_size=profile.team_size, verified=profile.verified,
        verification_status=profile.verification_status,
        cases=[case_out(c) for c in profile.cases], stars=profile.stars,
        avatar_url=f"/avatars/{profile.user_id}" if profile.user.avatar_name else None,
    )


def case_out(case) -> ShowcaseCaseOut:
    """A portfolio case; its picture's URLs are the public pages' (services/portfolio.py)."""
    out = ShowcaseCaseOut.model_validate(case)
    if case.image_name:
        base = f"/providers/{case.provider_id}/cases/{case.id}"
        out.image_url, out.thumbnail_url = f"{base}/view", f"{base}/thumb"
    return out


def bid_out(bid: Bid, viewer: User) -> BidOut:
    """What this viewer may see of a bid: contents only where allowed, scores only for the brand."""
    rounds = bid.tender.rounds
    contents = can_see_contents(viewer, bid)
    price = can_see_price(viewer, bid)
    evaluator = viewer.is_admin or viewer.account_id == bid.tender.brand_id
    profile = bid.provider.provider_profile
    return BidOut(
        id=bid.id, tender_id=bid.tender_id, status=bid.status, round=rounds[bid.round_index],
        revision=bid.revision, sealed=not contents, currency=bid.currency,
        provider=ProviderSummary(id=bid.provider_id, display_name=bid.provider.display_name,
                                 verified=profile.verified, stars=profile.stars)
        if contents and not permissions.blind_to(viewer, bid.tender) else None,
        amount=bid.amount if price else None,
        unit_price=bid.unit_price if price else None,
        cap_per_period=bid.cap_per_period if price else None,
        delivery_days=bid.delivery_days if contents else None,
        proposal=bid.proposal if contents else None,
        milestones=[MilestonePlanOut(title=m.title, amount=m.amount if price else None, due_days=m.due_days)
                    for m in bid.milestones] if contents else None,
        price_sealed=contents and not price,
        technical_result=bid.technical_result if evaluator or viewer.account_id == bid.provider_id else None,
        first_offer=revision_out(bid.first_offer) if can_see_first_offer(viewer, bid) else None,
        final_offer_closes_at=bid.bafo_round.closes_at if bid.bafo_round is not None else None,
        attachments=[AttachmentOut(
            id=a.id, filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256,
            url=url_for("api.download_attachment", bid_id=bid.id, attachment_id=a.id))
            for a in bid.attachments] if contents else None,
        scores=[ScoreOut(round=rounds[s.round_index], score=s.score, note=s.note) for s in bid.scores]
        if evaluator else None,
        slots=[SlotOut(round=rounds[s.round_index], starts_at=s.starts_at, location=s.location,
                       duration_minutes=s.duration_minutes, note=s.note) for s in bid.slots],
        reject_reason=bid.reject_reason, created_at=bid.created_at, updated_at=bid.updated_at,
    )


def revision_out(revision, price: bool = True) -> RevisionOut:
    """One version of a bid; without its amounts while the viewer may not see the price."""
    return RevisionOut(number=revision.number, amount=revision.amount if price else None,
                       delivery_days=revision.delivery_days, proposal=revision.proposal,
                       milestones=[MilestonePlanOut(title=m["title"], amount=m["amount"] if price else None,
                                                    due_days=m["due_days"]) for m in revision.milestones],
                       created_at=revision.created_at)


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(id=row.id, kind=row.kind, message=render_notification(row.kind, row.params),
                           params=row.params, link=notification_link(row), created_at=row.created_at,
                           read=row.read_at is not None)


def review_out(review) -> ReviewOut:
    return ReviewOut(
        id=review.id, contract_id=review.contract_id, author_role=review.author_role,
        contest_id=review.contest_award.contest_id if review.contest_award_id is not None else None,
        contest_award_id=review.contest_award_id,
        scores=Scores(quality=review.quality, communication=review.communication,
                      timeliness=review.timeliness, professionalism=review.professionalism),
        comment=review.comment, created_at=review.created_at, reply=review.reply, hidden=review.hidden_at is not None)
