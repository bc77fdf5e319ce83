from blueprints.account import notification_prefs, webhooks  # noqa: F401  (register their pages on bp)
from blueprints.account.routes import bp

__all__ = ["bp"]
