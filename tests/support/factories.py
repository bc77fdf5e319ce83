"""Request bodies and rows that tests build often."""
from datetime import UTC, datetime, timedelta


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def tender_payload(**overrides) -> dict:
    body = {
        "title": "Customer-service outsourcing for a national apparel brand",
        "category": "customer_service",
        "description": "Pre-sale and after-sale chat for our flagship store, 09:00 to 24:00.",
        "budget_min": 300000_00,
        "budget_max": 600000_00,
        "currency": "CNY",
        "bid_deadline": in_days(7),
        "sealed": False,
        "rounds": ["proposal", "pitch", "site_visit"],
        "kpis": [{"name": "first-response time", "target": 30, "unit": "s"}],
    }
    body.update(overrides)
    return body


def bid_payload(amount: int = 450000_00, **overrides) -> dict:
    """A bid of `amount` fen in three milestones that add up to it."""
    first, second = amount // 3, amount // 3
    body = {
        "amount": amount,
        "currency": "CNY",
        "delivery_days": 90,
        "proposal": "## Team\nA dedicated team of 40 agents, 09:00–24:00, with a QA lead.",
        "milestones": [
            {"title": "Team set-up and training", "amount": first, "due_days": 15},
            {"title": "First month of service", "amount": second, "due_days": 45},
            {"title": "Second month and KPI review", "amount": amount - first - second, "due_days": 90},
        ],
    }
    body.update(overrides)
    return body
