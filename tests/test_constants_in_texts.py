"""Periods, counts and weights in the texts come from the constants that enforce them: change a constant
and the pages and messages follow (issue 13, item 5). Each test changes the constant, so a text that
restates the value as prose fails here even while the two still agree."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from extensions import db
from models import ProviderProfile, User
from services import disputes, escrow, public_cache, ratings, reviews
from services.runners import ratings as rating_runner
from texts import rating_text
from texts.notifications import render

EN = {"Accept-Language": "en"}


def as_user(email):
    return type("U", (), {"email": email})()


@pytest.fixture
def rated_provider(track_record, app):
    """A provider rated from three completed, reviewed contracts; its public page in English."""
    provider, provider_id, deals = track_record(3, brands=3)
    scores = {"scores": {"quality": 5, "communication": 5, "timeliness": 5, "professionalism": 5}}
    for brand, contract in deals:
        brand.post(f"/contracts/{contract}/reviews", json=scores)
        provider.post(f"/contracts/{contract}/reviews", json=scores)
    with app.app_context():
        rating_runner.recompute_dirty()
        assert db.session.get(ProviderProfile, provider_id).stars is not None
    return provider_id


def _weights(html: str) -> list[str]:
    table = html[html.index('data-testid="breakdown"'):]
    return re.findall(r'data-label="Weight">([^<]+)</td>', table[:table.index("</table>")])


def _most_points(html: str) -> list[int]:
    """The "of N points" of every figure line, in the page's order."""
    return [int(n) for n in re.findall(r" of (\d+) points\.", html)]


def _points_of_the_constants() -> list[int]:
    return [*ratings.OPERATING_POINTS.values(), *ratings.BRAND_POINTS.values()]


def test_rating_weights_points_and_thresholds_on_the_provider_page_are_the_formulas(client, rated_provider,
                                                                                     monkeypatch):
    page = f"/providers/{rated_provider}"
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert _weights(html) == [f"{round(w * 100)}%" for w in ratings.WEIGHTS.values()] == ["40%", "30%", "15%", "15%"]
    assert _most_points(html) == _points_of_the_constants() == [25, 20, 15, 20, 20, 40, 30, 30]
    assert "Stars: 85 or more → 6, 75 → 5, 65 → 4, otherwise 3." in html  # as worded before, from the constants
    assert "Stars run from 3 to 6: 3 completed contracts give 3 stars" in html and " of 6 stars" in html
    assert "Brands served in the last 12 months: 3" in html and "in the last 6 months against the 6 before" not in html

    # the formula changes: the page says so, with no template or message touched
    monkeypatch.setattr(ratings, "WEIGHTS", {"service_reviews": 0.25, "operating": 0.45, "brand_development": 0.2,
                                             "growth": 0.1})
    monkeypatch.setattr(ratings, "OPERATING_POINTS", {"on_time": 30, "completion": 10, "change_rounds": 20,
                                                      "disputes_lost": 25, "kpi_met": 15})
    monkeypatch.setattr(ratings, "BRAND_POINTS", {"breadth": 50, "repeat": 20, "tier": 30})
    monkeypatch.setattr(ratings, "STAR_THRESHOLDS", ((90, 7), (80, 6), (70, 5), (60, 4)))
    monkeypatch.setattr(ratings, "TOP_STARS", 7)
    monkeypatch.setattr(ratings, "MIN_COMPLETED_CONTRACTS", 2)
    monkeypatch.setattr(ratings, "BRANDS_PERIOD", timedelta(days=730))
    with client.application.app_context():  # as a release does: pages kept from before it are not answered
        public_cache.bump(public_cache.KINDS)
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert _weights(html) == ["25%", "45%", "20%", "10%"]
    assert _most_points(html) == _points_of_the_constants() == [30, 10, 20, 25, 15, 50, 20, 30]
    assert "Stars: 90 or more → 7, 80 → 6, 70 → 5, 60 → 4, otherwise 3." in html
    assert "Stars run from 3 to 7: 2 completed contracts give 3 stars" in html and " of 7 stars" in html
    assert "Brands served in the last 24 months: 3" in html


def test_what_will_count_for_a_new_provider_is_weighted_by_the_formula(client, track_record, monkeypatch):
    _, provider_id, _ = track_record(1)
    monkeypatch.setattr(ratings, "WEIGHTS", {"service_reviews": 0.55, "operating": 0.25, "brand_development": 0.1,
                                             "growth": 0.1})
    monkeypatch.setattr(ratings, "MIN_COMPLETED_CONTRACTS", 4)
    html = client.get(f"/providers/{provider_id}", headers=EN).get_data(as_text=True)
    table = html[html.index('data-testid="what-counts"'):]
    assert re.findall(r'data-label="Weight">([^<]+)</td>', table[:table.index("</table>")]) == [
        "55%", "25%", "10%", "10%"]
    assert "New provider — 0 of 4 completed contracts" in html
    assert "Stars are given from 4 completed contracts on" in html


def test_rating_explanation_in_chinese_reads_as_before_and_follows_the_constants(app, monkeypatch):
    inputs = vars(ratings.RatingInputs(settled_milestones=4, on_time_milestones=3, brands_12m=2,
                                       repeat_brands_12m=1, completed_contracts=4))
    with app.test_request_context(), force_locale("zh_CN"):
        lines = rating_text.figures(inputs)
        assert lines["operating"][0] == "按时交付：已结算里程碑 4 个中 3 个——得 18.75 分（满分 25）。"
        assert lines["operating"][-1] == "尚无 KPI 结果记录——得 20 分（满分 20）。"
        assert lines["brand_development"][0].startswith("近 12 个月服务的品牌方：2 个（10 个即满分）")
        assert str(rating_text.DIMENSIONS["growth"][2]) == "近 6 个月的放款金额和新增品牌方，与之前 6 个月的对比。"
        monkeypatch.setattr(ratings, "OPERATING_POINTS", {**ratings.OPERATING_POINTS, "on_time": 40, "kpi_met": 10})
        monkeypatch.setattr(ratings, "RECENT_PERIOD", timedelta(days=91))
        lines = rating_text.figures(inputs)
        assert lines["operating"][0] == "按时交付：已结算里程碑 4 个中 3 个——得 30 分（满分 40）。"
        assert lines["operating"][-1] == "尚无 KPI 结果记录——得 10 分（满分 10）。"
        assert str(rating_text.DIMENSIONS["growth"][2]) == "近 3 个月的放款金额和新增品牌方，与之前 3 个月的对比。"


def test_the_review_window_on_the_contract_page_is_reviews_window(client, login, track_record, app, monkeypatch):
    _, _, [(brand, contract)] = track_record(1)
    with app.app_context():
        login(as_user(db.session.get(User, brand.get("/me").json["id"]).email))
    page = f"/contracts/{contract}"
    assert "or 14 days after the contract ends." in client.get(page, headers=EN).get_data(as_text=True)
    monkeypatch.setattr(reviews, "WINDOW", timedelta(days=10))
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "or 10 days after the contract ends." in html and "14 days" not in html
    assert "或合同结束 10 天后公开" in client.get(page, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_the_dispute_response_period_on_the_contract_page_is_response_days(client, login, deal, app, monkeypatch):
    d = deal(amounts=(100000, 20000, 30000))
    d.deposit(150000)
    d.fund(0)
    with app.app_context():
        login(as_user(db.session.get(User, d.brand_id).email))
    page = f"/contracts/{d.contract_id}"
    assert "Both sides have 5 days to add evidence." in client.get(page, headers=EN).get_data(as_text=True)
    monkeypatch.setattr(disputes, "RESPONSE_DAYS", 1)
    assert "Both sides have 1 day to add evidence." in client.get(page, headers=EN).get_data(as_text=True)
    zh = client.get(page, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "双方须在 1 天内提交证据。" in zh


def test_notifications_quote_the_periods_of_their_constants(app, monkeypatch):
    with app.test_request_context():
        with force_locale("en"):
            assert render("dispute_opened", {"milestone": "Photos"}) == (
                "A dispute was opened on “Photos”. Add your evidence within 5 days.")
            assert render("release_reminder", {"milestone": "Photos"}).startswith(
                "“Photos” will be released automatically in 2 days unless")
            assert render("review_received", {"tender": "Shoot", "until": None}).endswith(
                "(published when both are in, or 14 days after the contract ends).")
        with force_locale("zh_CN"):
            assert render("dispute_opened", {"milestone": "照片"}) == "“照片”已被发起争议，请在 5 天内提交您的证据。"
        monkeypatch.setattr(disputes, "RESPONSE_DAYS", 7)
        monkeypatch.setattr(escrow, "REMIND_BEFORE", timedelta(days=1))
        monkeypatch.setattr(reviews, "WINDOW", timedelta(days=21))
        with force_locale("en"):
            assert render("dispute_opened", {"milestone": "Photos"}).endswith("within 7 days.")
            assert "released automatically in 1 day unless" in render("release_reminder", {"milestone": "Photos"})
            assert "or 21 days after the contract ends" in render("review_received", {"tender": "Shoot", "until": None})
        with force_locale("zh_CN"):
            assert render("release_reminder", {"milestone": "照片"}).startswith("“照片”将在 1 天后自动放款")


# A number of days, hours, months, points or stars written into a message: the value belongs in a constant,
# passed in as a parameter. Only promises that no code enforces may stay as prose.
NUMBER = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|" \
         r"twenty|thirty|forty|fifty|sixty|ninety|hundred)"
UNIT = r"(?:(?:working |business |calendar )?(?:minutes?|hours?|days?|weeks?|months?|years?)|points?|stars?|" \
       r"(?:completed )?contracts?|reviews?)\b|\s?%"
PROSE = re.compile(rf"\b{NUMBER}[\s-]+(?:{UNIT})", re.IGNORECASE)
NO_CONSTANT = {"two working days"}  # staff's promise to decide a registration: nothing in the code enforces it


def test_no_message_restates_a_period_count_or_weight_as_prose():
    """Every message of the code and templates is in the catalog (test_i18n holds it to that)."""
    catalog = read_po((Path(__file__).parent.parent / "translations/en/LC_MESSAGES/messages.po").open("rb"))
    restated = [(hit.group(), text) for message in catalog if message.id
                for text in (message.id if isinstance(message.id, tuple) else (message.id,))
                for hit in PROSE.finditer(text) if hit.group().lower() not in NO_CONSTANT]
    assert restated == []
