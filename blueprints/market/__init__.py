from blueprints.market.routes import bp

__all__ = ["bp"]
