"""The platform's periods and counts as pages and messages quote them, each read from the constant that
enforces it when the text is rendered (so a changed constant changes the text; never restate one as prose).
Templates reach these as the `terms` global: `ngettext("... %(num)s day", "... %(num)s days", terms.review_days)`."""
from flask_babel import gettext as _

from models.engagement import MAX_BPS
from services import disputes, engagements, escrow, ratings, reviews


def months(period) -> int:
    """A period of about whole months (182 days) as its months (6)."""
    return round(period.days * 12 / 365)


class Terms:
    @property
    def review_days(self) -> int:
        """Reviews are published this many days after the contract ends, if not before."""
        return reviews.WINDOW.days

    @property
    def dispute_days(self) -> int:
        """Both sides of a dispute have this many days to add evidence."""
        return disputes.RESPONSE_DAYS

    @property
    def reminder_days(self) -> int:
        """The brand is reminded this many days before a delivered milestone is released by itself."""
        return escrow.REMIND_BEFORE.days

    @property
    def fund_ahead_days(self) -> int:
        """Periods are funded (and their brand reminded) this many days before they start."""
        return engagements.FUND_AHEAD.days

    @property
    def kpi_share_max(self) -> int:
        """A KPI's bonus or penalty is at most this percentage of a period's base."""
        return MAX_BPS // 100

    @property
    def min_completed_contracts(self) -> int:
        return ratings.MIN_COMPLETED_CONTRACTS

    @property
    def base_stars(self) -> int:
        return ratings.BASE_STARS

    @property
    def top_stars(self) -> int:
        return ratings.TOP_STARS

    def star_rule(self) -> str:
        """"Stars: 85 or more → 6, 75 → 5, 65 → 4, otherwise 3." from services.ratings.STAR_THRESHOLDS."""
        steps = sorted(ratings.STAR_THRESHOLDS, reverse=True)
        levels = [_("%(score)s or more → %(stars)s", score=score, stars=stars) if n == 0
                  else _("%(score)s → %(stars)s", score=score, stars=stars) for n, (score, stars) in enumerate(steps)]
        # TRANSLATORS: what separates the star levels in "85 or more → 6, 75 → 5, 65 → 4".
        return _("Stars: %(levels)s, otherwise %(base)s.", levels=_(", ").join(levels), base=ratings.BASE_STARS)


terms = Terms()
