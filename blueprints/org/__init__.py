from blueprints.org.routes import bp

__all__ = ["bp"]
