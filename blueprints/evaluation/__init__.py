from blueprints.evaluation import envelopes, scorecards  # noqa: F401  (register their pages on bp)
from blueprints.evaluation.routes import bp

__all__ = ["bp"]
