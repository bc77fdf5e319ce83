from blueprints.chargebacks.routes import bp

__all__ = ["bp"]
