from blueprints.finance.routes import bp

__all__ = ["bp"]
