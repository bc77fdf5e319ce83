"""Numbers as users read them: CNY is ¥1,234.56 in every locale (Babel's English says CN¥), with
Babel's number formatting; percentages as the locale writes them."""
import pytest
from flask_babel import force_locale

from i18n import money, percent
from tests.support.factories import tender_payload


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_cny_is_yen_sign_in_every_locale(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert money(1200000) == "¥12,000.00"
        assert money(123456, "CNY") == "¥1,234.56"
        assert money(-100, "CNY") == "-¥1.00"
        assert money(5, "CNY") == "¥0.05"
        assert money(None) == ""


def test_other_currencies_keep_babels_symbol(app):
    with app.test_request_context(), force_locale("en"):
        assert money(123456, "USD") == "$1,234.56"
    with app.test_request_context(), force_locale("zh_CN"):
        assert money(123456, "USD") == "US$1,234.56"


def test_pages_in_english_show_the_yen_sign(client, api, make_user):

    tid = api(make_user("brand")).post("/tenders", json=tender_payload()).json["id"]
    html = client.get(f"/tenders/{tid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "¥300,000.00" in html and "CN¥" not in html


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_whole_percentage_is_written_as_the_locale_writes_it(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert percent(40) == "40%" and percent(15) == "15%"
