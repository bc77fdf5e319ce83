from blueprints.admin import accounts, contest_reports  # noqa: F401  (register their pages on `bp`)
from blueprints.admin.routes import bp

__all__ = ["bp"]
