"""The brand score in words: the badge on tenders, the headline ("pays within 1.2 days on average; 0
disputes lost in 12 months") and what each part measures, with every threshold and weight read from
services.brand_scores whenever a page is rendered."""
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from i18n import number, percent
from services import brand_scores
from texts.terms import months

LABELS = {"payment": _l("Payment speed"), "acceptance": _l("Acceptance speed"), "silence": _l("Silence"),
          "disputes": _l("Disputes"), "cancellations": _l("Cancellations after bids"),
          "reviews": _l("Providers' reviews")}


def badge(profile) -> str:
    """"Brand score 87" or "New brand" (a brand's profile, or None)."""
    if profile is None or profile.brand_score is None:
        return _("New brand")
    return _("Brand score %(score)s", score=number(round(profile.brand_score)))


def headline(profile) -> str:
    """The figures providers ask about first, or "" when the brand has funded nothing yet."""
    if profile is None or not profile.brand_score_inputs:
        return ""
    inputs, result = brand_scores.explain(profile.brand_score_inputs)
    if result.payment_days is None:
        return ""
    return ngettext("Pays within %(days)s days on average; %(num)d dispute lost in %(months)s months.",
                    "Pays within %(days)s days on average; %(num)d disputes lost in %(months)s months.",
                    inputs.disputes_lost, days=number(result.payment_days), months=months(brand_scores.WINDOW))


def _share(value: float) -> str:
    return percent(Decimal(str(value)) * 100)


def _measures(name: str) -> str:
    """What a part measures, with its thresholds from the constants."""
    s = brand_scores
    if name == "payment":
        return _("Average days from when a milestone was owed (the award, the previous milestone's release or a "
                 "period's start) to funding: %(full)s or less gives full marks, %(zero)s or more none.",
                 full=s.PAYMENT_DAYS[0], zero=s.PAYMENT_DAYS[1])
    if name == "acceptance":
        return _("Average days from a delivery to the brand's release: %(full)s or less gives full marks, "
                 "%(zero)s or more none.", full=s.ACCEPTANCE_DAYS[0], zero=s.ACCEPTANCE_DAYS[1])
    if name == "silence":
        return _("Releases that happened by themselves because the brand stayed silent: %(share)s of them or "
                 "more gives none.", share=_share(s.SILENCE_SHARE_FOR_ZERO))
    if name == "disputes":
        return _("Disputes on funded milestones (%(opened)s points) and disputes decided against the brand "
                 "(%(lost)s points): each %(step)s of funded milestones costs half of the points.",
                 opened=s.DISPUTE_POINTS["opened"], lost=s.DISPUTE_POINTS["lost"], step=_share(s.DISPUTE_STEP))
    if name == "cancellations":
        return _("Tenders cancelled after providers bid: %(share)s of the tenders that got bids or more gives "
                 "none.", share=_share(s.CANCEL_SHARE_FOR_ZERO))
    return _("Providers' review scores; the platform mean counts as %(prior)s reviews, so a single review "
             "cannot make or break a brand.", prior=number(s.PRIOR_REVIEWS))


def _figure(name: str, i: brand_scores.BrandInputs, result: brand_scores.BrandScore) -> str:
    """The brand's own figure behind a part."""
    if name == "payment":
        return (_("%(days)s days over %(n)s funded milestones", days=number(result.payment_days), n=i.funded)
                if i.funded else _("Nothing funded yet"))
    if name == "acceptance":
        return (_("%(days)s days over %(n)s releases", days=number(result.acceptance_days), n=i.accepted)
                if i.accepted else _("Nothing released yet"))
    if name == "silence":
        return _("%(auto)s of %(n)s releases", auto=i.auto_released, n=i.accepted + i.auto_released)
    if name == "disputes":
        return _("%(n)s disputes, %(lost)s lost", n=i.disputes, lost=i.disputes_lost)
    if name == "cancellations":
        return _("%(cancelled)s of %(n)s tenders", cancelled=i.cancelled_after_bids, n=i.tenders_with_bids)
    if not i.reviews:
        return _("No reviews yet: the platform mean, %(mean)s", mean=number(result.review_average))
    return ngettext("Average %(average)s of 5 from %(num)d review", "Average %(average)s of 5 from %(num)d reviews",
                    i.reviews, average=number(result.review_average))


def breakdown(profile) -> list[dict]:
    """One row per part, in the order of brand_scores.WEIGHTS: label, weight, what it measures, the
    brand's figure, its mark."""
    inputs, result = brand_scores.explain(profile.brand_score_inputs if profile else None)
    return [{"name": name, "label": LABELS[name], "weight": percent(Decimal(str(weight)) * 100),
             "measures": _measures(name), "figure": _figure(name, inputs, result),
             "mark": number(result.marks[name])}
            for name, weight in brand_scores.WEIGHTS.items()]


def summary() -> str:
    """How the score is made and when a brand is "new" (from the constants)."""
    return _("The brand score runs from 0 to 100 over the last %(months)s months. A brand with fewer than "
             "%(n)s contracts is shown as new, never with a made-up number.",
             months=months(brand_scores.WINDOW), n=brand_scores.MIN_CONTRACTS)
