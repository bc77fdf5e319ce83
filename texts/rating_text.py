"""What each rating dimension means and how to raise it, and a provider's own figures, for "why you have
N stars"."""
from collections.abc import Mapping
from decimal import Decimal

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from i18n import money, number
from services import ratings
from texts.terms import months


class _Dimensions(Mapping):
    """name → (label, weight as a whole percentage, what feeds it, what would raise it), in the order of
    services.ratings.WEIGHTS and read from its constants whenever the page is rendered."""

    def __getitem__(self, name: str) -> tuple:
        label, feeds, raise_it = {
            "service_reviews": (
                _l("Service reviews"),
                _l("Brands' review scores, recent reviews and larger contracts counting more."),
                _l("Ask every brand to review the contract when it ends; reply to reviews.")),
            "operating": (
                _l("Operating capability"),
                _l("Deliveries on time, funded work finished, change-request rounds, disputes lost and the KPI "
                   "targets brands recorded as met."),
                _l("Deliver by each milestone's due date, get it right the first time and meet the KPI targets.")),
            "brand_development": (
                _l("Brand development"),
                _l("Brands served in the last %(months)s months, brands that came back, and their size.",
                   months=months(ratings.BRANDS_PERIOD)),
                _l("Win work from more brands, and keep the ones you have.")),
            "growth": (
                _l("Growth potential"),
                _l("Released volume and new brands in the last %(months)s months against the %(months)s before.",
                   months=months(ratings.RECENT_PERIOD)),
                _l("Grow your released volume and add new brands this half-year.")),
        }[name]
        return label, Decimal(str(ratings.WEIGHTS[name])) * 100, feeds, raise_it

    def __iter__(self):
        return iter(ratings.WEIGHTS)

    def __len__(self) -> int:
        return len(ratings.WEIGHTS)


DIMENSIONS = _Dimensions()


def figures(inputs: dict) -> dict[str, list[str]]:
    """The provider's own figures behind each dimension of its rating (from the inputs stored with it,
    through ratings.explain), as sentences for "why you have N stars"."""
    parts = ratings.explain(inputs).parts
    i = {**vars(ratings.RatingInputs()), **inputs}
    reviews, ops, brands, grow = (parts[name] for name in DIMENSIONS)
    most = {name: number(points) for name, points in {**ratings.OPERATING_POINTS, **ratings.BRAND_POINTS}.items()}
    kpi = (_("KPI targets met: %(met)s of %(n)s results — %(points)s of %(most)s points.", met=i["kpi_met"],
             n=i["kpi_results"], points=number(ops["kpi_met"]), most=most["kpi_met"]) if i["kpi_results"]
           else _("No KPI results recorded yet — %(points)s of %(most)s points.", points=most["kpi_met"],
                  most=most["kpi_met"]))
    recent, brand_months = months(ratings.RECENT_PERIOD), months(ratings.BRANDS_PERIOD)
    return {
        "service_reviews": [ngettext(
            "Bayesian average %(average)s of 5 from %(num)d review; the platform mean, %(mean)s, counts as "
            "%(prior)s reviews.",
            "Bayesian average %(average)s of 5 from %(num)d reviews; the platform mean, %(mean)s, counts as "
            "%(prior)s reviews.", reviews["reviews"], average=number(reviews["bayesian_average"]),
            mean=number(round(reviews["platform_mean"], 2)), prior=number(ratings.PRIOR_WEIGHT))],
        "operating": [
            _("On time: %(on_time)s of %(settled)s settled milestones — %(points)s of %(most)s points.",
              on_time=i["on_time_milestones"], settled=i["settled_milestones"], points=number(ops["on_time"]),
              most=most["on_time"]),
            _("Funded work finished: %(settled)s of %(owed)s milestones settled or past their due date — "
              "%(points)s of %(most)s points.", settled=i["settled_milestones"],
              owed=i["settled_milestones"] + i["overdue_milestones"], points=number(ops["completion"]),
              most=most["completion"]),
            _("Change-request rounds per milestone: %(rounds)s — %(points)s of %(most)s points.",
              rounds=number(ops["change_rounds_per_milestone"]), points=number(ops["change_rounds"]),
              most=most["change_rounds"]),
            _("Disputes lost: %(lost)s of %(settled)s settled milestones — %(points)s of %(most)s points.",
              lost=i["disputes_lost"], settled=i["settled_milestones"], points=number(ops["disputes_lost"]),
              most=most["disputes_lost"]),
            kpi],
        "brand_development": [
            _("Brands served in the last %(months)s months: %(n)s (%(full)s give full marks) — %(points)s of "
              "%(most)s points.", months=brand_months, n=i["brands_12m"], full=ratings.BRANDS_FOR_FULL_MARKS,
              points=number(brands["breadth"]), most=most["breadth"]),
            _("Brands that came back: %(repeat)s of %(n)s — %(points)s of %(most)s points.",
              repeat=i["repeat_brands_12m"], n=i["brands_12m"], points=number(brands["repeat"]), most=most["repeat"]),
            _("Size of the brands served — %(points)s of %(most)s points.", points=number(brands["tier"]),
              most=most["tier"])],
        "growth": [
            _("Released in the last %(months)s months: %(recent)s, against %(previous)s in the %(months)s before — "
              "%(mark)s of 100.", months=recent, recent=money(i["volume_recent"]),
              previous=money(i["volume_previous"]), mark=number(grow["volume"])),
            _("New brands in the last %(months)s months: %(recent)s, against %(previous)s in the %(months)s before — "
              "%(mark)s of 100.", months=recent, recent=i["new_brands_recent"], previous=i["new_brands_previous"],
              mark=number(grow["new_brands"]))],
    }


def next_level(stars: int, score) -> str:
    """What the next star level needs (the thresholds of services.ratings), or that this is the top."""
    above = [(threshold, level) for threshold, level in ratings.STAR_THRESHOLDS if level > stars]
    if not above:
        return _("%(n)s stars is the top level.", n=stars)
    threshold, level = min(above, key=lambda pair: pair[1])
    return _("%(level)s stars need a score of %(threshold)s or more: %(gap)s more than now.", level=level,
             threshold=threshold, gap=number(max(Decimal(0), threshold - Decimal(str(score)))))


def star_levels(levels) -> str:
    """(None, 3, 4) → "new providers, 3 stars and 4 stars", in the viewer's language."""
    return format_list([_("new providers") if stars is None else _("%(n)s stars", n=stars) for stars in levels],
                       locale=get_locale())
