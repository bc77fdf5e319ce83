"""Both catalogs are complete; money and times are formatted for the viewer."""
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from i18n import datetime_local, major_units, minor_units, money
from tests.support.web import form_post

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Extract every translatable string from the code and templates as they are now."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "--omit-header",
                    "--ignore-dirs=.venv tests bench migrations", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_catalog_has_every_string_translated(extracted, locale):
    with (ROOT / f"translations/{locale}/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    translated = {m.id for m in catalog if m.id and not m.fuzzy
                  and all(m.string if isinstance(m.string, tuple) else [m.string])}
    missing = sorted(str(i) for i in extracted - translated)
    assert not missing, f"{len(missing)} strings untranslated in {locale} (run `make extract-messages`): {missing[:10]}"


def test_zh_catalog_keeps_placeholders():
    with (ROOT / "translations/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for m in catalog:
        if not m.id:
            continue
        source = m.id[0] if isinstance(m.id, tuple) else m.id
        target = m.string[0] if isinstance(m.string, tuple) else m.string
        assert sorted(placeholder.findall(source)) == sorted(placeholder.findall(target)), m.id


def test_money_is_babel_currency_formatting(app):
    with app.test_request_context(), force_locale("zh_CN"):
        assert money(123456, "CNY") == "¥1,234.56"
        assert money(5, "CNY") == "¥0.05"
        assert money(-100, "CNY") == "-¥1.00"
    with app.test_request_context(), force_locale("en"):
        assert money(123456, "USD") == "$1,234.56"


def test_minor_and_major_units_are_exact():
    assert major_units(1234567890123, "CNY") == Decimal("12345678901.23")
    assert minor_units(Decimal("0.29"), "CNY") == 29  # 0.29 * 100 is 28.999… in floats
    assert minor_units(Decimal("1.005"), "CNY") is None
    assert minor_units(Decimal("100"), "JPY") == 100  # yen has no minor unit


def test_times_shown_in_the_viewers_zone(app):
    moment = datetime(2026, 4, 1, 16, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        shown = datetime_local(moment).replace("\u202f", " ")
        assert shown == "Apr 2, 2026, 12:30 AM"  # default zone Asia/Shanghai: next day 00:30, no seconds
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert datetime_local(moment) == "2026年4月2日 00:30"


def test_chinese_is_the_default_and_english_on_request(client):
    assert "招标" in client.get("/tenders").get_data(as_text=True)
    english = client.get("/tenders", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "Tenders" in english and "招标" not in english.split("<main>")[0]


def test_language_switch_sticks_for_the_session(client):
    form_post(client, "/lang/en", {"next": "/"}, page="/")
    assert "Browse tenders" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
