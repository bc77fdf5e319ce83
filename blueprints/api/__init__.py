"""The open JSON API under /api/v1 (see shared/api-contract.md). Token auth only, so no CSRF."""
from blueprints.api import accounts, admin, bids, contracts, notifications, openapi, providers, tender_board, tenders  # noqa: F401  (importing registers the routes)
from blueprints.api.routing import bp

__all__ = ["bp"]
