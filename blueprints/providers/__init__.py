from blueprints.providers.routes import bp

__all__ = ["bp"]
