from blueprints.payouts.routes import bp

__all__ = ["bp"]
