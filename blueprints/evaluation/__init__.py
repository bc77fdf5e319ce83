from blueprints.evaluation import scorecards  # noqa: F401  (registers the scorecard pages on bp)
from blueprints.evaluation.routes import bp

__all__ = ["bp"]
