from blueprints.wallet.routes import bp

__all__ = ["bp"]
