from blueprints.tenders.routes import bp

__all__ = ["bp"]
