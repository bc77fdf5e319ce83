from blueprints.webhooks.routes import bp

__all__ = ["bp"]
