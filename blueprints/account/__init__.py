from blueprints.account.routes import bp

__all__ = ["bp"]
