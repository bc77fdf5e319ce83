"""The open JSON API under /api/v1 (see shared/api-contract.md). Token auth only, so no CSRF."""
from blueprints.api import accounts, admin, openapi, providers, tenders  # noqa: F401  (register routes)
from blueprints.api.routing import bp

__all__ = ["bp"]
