from blueprints.statements.routes import bp

__all__ = ["bp"]
