from blueprints.conversations.routes import bp

__all__ = ["bp"]
