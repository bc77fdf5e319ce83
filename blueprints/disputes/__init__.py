from blueprints.disputes.routes import bp

__all__ = ["bp"]
