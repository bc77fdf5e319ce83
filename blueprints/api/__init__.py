"""The open JSON API under /api/v1 (see shared/api-contract.md). Token auth only, so no CSRF."""
# Importing each module registers its routes on `bp`.
from blueprints.api import (  # noqa: F401
    account_security,
    account_settings,
    accounts,
    admin,
    audit,
    bids,
    chargebacks,
    contests,
    contracts,
    conversations,
    disputes,
    envelopes,
    escrow,
    invoices,
    jobs,
    margins,
    market,
    notifications,
    openapi,
    org,
    payout_accounts,
    payouts,
    providers,
    reviews,
    scorecards,
    statements,
    suspensions,
    tender_board,
    tenders,
    todo,
    wallet,
    webhooks,
)
from blueprints.api.routing import bp

__all__ = ["bp"]
