from blueprints.contracts.routes import bp

__all__ = ["bp"]
