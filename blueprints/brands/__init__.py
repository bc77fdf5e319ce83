from blueprints.brands.routes import bp

__all__ = ["bp"]
