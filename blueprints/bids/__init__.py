from blueprints.bids.routes import bp

__all__ = ["bp"]
