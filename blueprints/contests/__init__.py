from blueprints.contests.routes import bp

__all__ = ["bp"]
