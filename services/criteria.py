"""A new tender's scorecard criteria, checked (issue 15). Apart from services.scorecards so that posting
a tender (services.tenders) needs nothing of grading."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from models import TenderCriterion

MAX_CRITERIA = 12  # per round


@dataclass
class CriterionInput:
    name: str
    weight: int = 0
    deal_breaker: bool = False


def criteria_rows(rounds: list[str], criteria: dict[str, list[CriterionInput]] | None):
    """(error or None, TenderCriterion rows) for a new tender's `criteria: {"<round>": [...]}`."""
    rows = []
    for kind, items in (criteria or {}).items():
        if kind not in rounds:
            return _l("Criteria must belong to one of the tender's rounds."), []
        names = [(c.name or "").strip() for c in items]
        if not 1 <= len(items) <= MAX_CRITERIA or len(set(names)) != len(names) \
                or any(not 1 <= len(n) <= 100 for n in names):
            return _l("Give each round 1 to %(n)s criteria with different names.", n=MAX_CRITERIA), []
        weighted = [c for c in items if not c.deal_breaker]
        if not weighted or any(not 0 < c.weight <= 100 for c in weighted) \
                or any(c.weight for c in items if c.deal_breaker) or sum(c.weight for c in weighted) != 100:
            return _l("The weights of a round's criteria must add up to 100 (deal-breakers carry none)."), []
        rows += [TenderCriterion(round_index=rounds.index(kind), position=i, name=name, weight=c.weight,
                                 deal_breaker=bool(c.deal_breaker))
                 for i, (name, c) in enumerate(zip(names, items, strict=True))]
    return None, rows
