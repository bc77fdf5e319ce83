from blueprints.admin import accounts  # noqa: F401  (registers the account and suspension pages on `bp`)
from blueprints.admin.routes import bp

__all__ = ["bp"]
