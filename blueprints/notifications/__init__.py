from blueprints.notifications.routes import bp

__all__ = ["bp"]
