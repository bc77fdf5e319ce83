from blueprints.account import webhooks  # noqa: F401  (registers the webhook pages on bp)
from blueprints.account.routes import bp

__all__ = ["bp"]
