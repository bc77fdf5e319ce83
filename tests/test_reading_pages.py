"""What users read: times in their time zone, quantities and money formatted, codes turned into words."""
from decimal import Decimal

from extensions import db
from i18n import number
from i18n.labels import dispute_event_details
from models import User
from texts.notifications import render


def test_notifications_read_in_the_readers_time_zone_and_never_show_a_code(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):  # nobody signed in: Asia/Shanghai
        moved = render("addendum_published", {"tender": "Chat team", "deadline": "2026-12-20T10:00:00+00:00"})
        assert "Dec 20, 2026, 6:00" in moved and "UTC" not in moved  # 10:00 UTC is 18:00 in Shanghai
        assert render("review_received", {"tender": "Chat team"}) == "You received a review on “Chat team”."
        assert render("bid_advanced", {"tender": "Chat team", "round": "pitch"}) \
            == "Your bid on “Chat team” moved on to the next round: Pitch presentation."
        assert "some_new_kind" not in render("some_new_kind", {})
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert "18:00" in render("addendum_published", {"tender": "T", "deadline": "2026-12-20T10:00:00+00:00"})


def test_kpi_targets_and_the_dispute_trail_read_as_numbers_and_money(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert [number(Decimal(v)) for v in ("30.0000", "52.5000", "1200", "0.0001")] == ["30", "52.5", "1,200",
                                                                                          "0.0001"]
        decided = dispute_event_details("resolved", {"provider_amount": 40000, "commission": 4000, "refund": 60000},
                                        "CNY")
        assert decided == "¥400.00 to the provider (commission ¥40.00), ¥600.00 back to the brand"
        assert dispute_event_details("opened", {"reason": "quality"}, "CNY") == "Reason: Quality below what was agreed"


def test_the_contract_shows_the_tenders_kpi_targets(client, login, deal, app):
    d = deal()
    with app.app_context():
        brand = db.session.get(User, d.brand_id)
    login(brand)
    page = client.get(f"/contracts/{d.contract_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-testid="kpis"' in page and "first-response time</td><td>≥ 30 s</td>" in page
