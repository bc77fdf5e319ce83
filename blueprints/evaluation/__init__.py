from blueprints.evaluation.routes import bp

__all__ = ["bp"]
