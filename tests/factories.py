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
