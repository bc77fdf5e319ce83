from blueprints.contests import reports  # noqa: F401  (registers reporting an entry as a copy on `bp`)
from blueprints.contests.routes import bp

__all__ = ["bp"]
