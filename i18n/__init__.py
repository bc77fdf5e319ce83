"""Locale and time-zone selection, and the money/time formatting every page uses.

The formatting is Babel's, for the reader's locale and time zone. A list page formats the same few amounts,
deadlines and numbers on every row and for every reader, and Babel re-reads its locale data at each call, so
the results are kept (`lru_cache`), keyed by everything they depend on: the value, the format, the Babel
`Locale` and the time zone the request (or `force_locale` / `force_timezone`) has chosen. The translations
templates ask for (`_()`, `ngettext()`) are looked up once per request and locale (`init_jinja`).
"""
from contextlib import contextmanager
from datetime import UTC, timedelta
from decimal import Decimal
from functools import lru_cache

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.dates import get_datetime_format
from babel.numbers import get_currency_symbol
from flask import current_app, g, has_request_context, request, session
from flask_babel import (
    _get_current_context,
    format_datetime,
    get_locale,
    get_timezone,
    get_translations,
    gettext,
)
from flask_login import current_user
from markupsafe import Markup
from pytz import UnknownTimeZoneError, timezone

from models.types import utcnow


def select_locale() -> str:
    """The user's saved language, else the one picked this session, else the browser's, else zh_CN."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return "en" if best == "en" else "zh_CN"


def select_timezone() -> str:
    """The signed-in reader's zone (a browser's session, or an API token's user), else the default."""
    if has_request_context() and current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    if has_request_context() and (api_user := g.get("api_user")) is not None and api_user.timezone:
        return api_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


CACHED = 8192  # formatted values kept per function (a few hundred kB at most)


@lru_cache(maxsize=64)
def get_currency_precision(currency: str) -> int:
    """Babel's decimal places of a currency (CNY 2, JPY 0), looked up once."""
    return babel_numbers.get_currency_precision(currency)


def major_units(amount: int, currency: str) -> Decimal:
    """Minor units (fen, cents) to an exact Decimal in major units; never a float."""
    return Decimal(amount).scaleb(-get_currency_precision(currency))


# The symbol the product shows for a currency in every locale, where Babel's differs (en says CN¥).
SYMBOLS = {"CNY": "¥"}


def money(amount: int | None, currency: str = "CNY") -> str:
    """¥1,234.56 for 123456 fen: Babel's number formatting for the viewer's locale, with the
    product's symbol for CNY."""
    if amount is None:
        return ""
    return _money(amount, currency, get_locale())


@lru_cache(maxsize=CACHED, typed=True)
def _money(amount, currency: str, locale) -> str:
    text = babel_numbers.format_currency(major_units(amount, currency), currency, locale=locale)
    symbol = SYMBOLS.get(currency)
    return text.replace(get_currency_symbol(currency, locale), symbol, 1) if symbol else text


def datetime_local(value, fmt: str = "medium") -> str:
    """An aware UTC datetime shown in the viewer's time zone. "medium" is the locale's medium date with
    hours and minutes (Dec 6, 2026, 2:39 PM / 2026年12月6日 14:39): seconds are noise on a page.
    "full" is the full date with hours, minutes and the zone's name (for deadlines): never seconds either."""
    if value is None:
        return ""
    if fmt not in ("medium", "full"):
        return format_datetime(value, fmt)
    return _datetime_local(value, fmt, get_locale(), get_timezone())


@lru_cache(maxsize=CACHED, typed=True)
def _datetime_local(value, fmt: str, locale, tzinfo) -> str:
    """`datetime_local` of "medium" or "full" for a locale and a (pytz) zone: what Flask-Babel's
    format_date/format_time/format_datetime give with them (a naive value is UTC)."""
    pattern = get_datetime_format(fmt, locale=locale).replace("'", "")
    local = tzinfo.normalize((value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(tzinfo))
    time = babel_dates.format_time(value, "short", tzinfo=tzinfo, locale=locale)
    if fmt == "full":
        time = f"{time} {babel_dates.format_datetime(value, 'zzzz', tzinfo=tzinfo, locale=locale)}"
    return pattern.replace("{1}", babel_dates.format_date(local, fmt, locale=locale)).replace("{0}", time)


def relative(value, fmt: str = "medium") -> Markup:
    """A moment as how far off it is ("in 2 days", "3 hours ago" / "2天后"), in a <time> element whose
    title is the absolute date and time in the viewer's zone (shown on hover) and whose datetime is exact."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        value.isoformat(timespec="minutes"), datetime_local(value, fmt), time_left(value - utcnow()))


def time_left(delta: timedelta) -> str:
    """"in 5 days 3 hours" under a week (a countdown people act on), else one rounded unit ("in 3 weeks")."""
    hours = round(abs(delta.total_seconds()) / 3600)
    days, rest = divmod(hours, 24)
    locale = get_locale()
    if not 1 <= days < 7 or not rest:
        return babel_dates.format_timedelta(delta, add_direction=True, locale=locale)
    # threshold 1: 6 days stay "6 days" (not "1 week"), 23 hours "23 hours"
    parts = {"days": _duration(timedelta(days=days), locale, 1),
             "hours": _duration(timedelta(hours=rest), locale, 1)}
    if delta > timedelta(0):
        return gettext("in %(days)s %(hours)s", **parts)
    return gettext("%(days)s %(hours)s ago", **parts)


def number(value) -> str:
    """A quantity such as a KPI target in the viewer's locale (30, 52.5, 1,200): never 3E+1."""
    return "" if value is None else _number(value, get_locale())


@lru_cache(maxsize=CACHED, typed=True)
def _number(value, locale) -> str:
    return babel_numbers.format_decimal(value, format="#,##0.####", locale=locale)


def percent(whole) -> str:
    """A whole-number percentage (40 → 40%), spaced as the viewer's locale spaces it."""
    return _percent(whole, get_locale())


@lru_cache(maxsize=CACHED, typed=True)
def _percent(whole, locale) -> str:
    return babel_numbers.format_percent(Decimal(whole) / 100, locale=locale)


def locale_code() -> str:
    return str(get_locale() or "zh_CN")


def minor_units(value: Decimal, currency: str) -> int | None:
    """An amount typed in major units (1234.56) as exact minor units (123456), or None if it has
    more decimals than the currency allows (or is beyond any amount: forms refuse those first)."""
    value = Decimal(value)
    if not value.is_finite() or value.adjusted() > 15:
        return None
    scaled = value.scaleb(get_currency_precision(currency))
    return int(scaled) if scaled == scaled.to_integral_value() else None


def duration(delta) -> str:
    """A period such as a constant's timedelta in the viewer's words (1 hour, 2 years / 1小时, 2年)."""
    return _duration(delta, get_locale(), 0.85)


@lru_cache(maxsize=CACHED, typed=True)
def _duration(delta: timedelta, locale, threshold: float) -> str:
    return babel_dates.format_timedelta(delta, threshold=threshold, locale=locale)


@contextmanager
def force_timezone(name: str | None):
    """Format times in zone `name` for a while (a mail speaks its reader's zone, not the worker's).
    Flask-Babel keeps the chosen zone, a pytz zone, in its context: set there, restored after."""
    ctx = _get_current_context()
    if ctx is None or not name:
        yield
        return
    before = getattr(ctx, "babel_tzinfo", None)
    try:
        ctx.babel_tzinfo = timezone(name)
    except UnknownTimeZoneError:
        yield
        return
    try:
        yield
    finally:
        ctx.babel_tzinfo = before


def translations():
    """This request's catalog, as Flask-Babel's get_translations() gives it, looked up once per request and
    locale (a page asks for a hundred strings; `force_locale` sets another Locale, which is looked up anew)."""
    ctx = _get_current_context()
    if ctx is None:
        return get_translations()
    locale = get_locale()
    kept = getattr(ctx, "witkey_translations", None)
    if kept is None or kept[0] is not locale:
        kept = ctx.witkey_translations = (locale, get_translations())
    return kept[1]


def init_jinja(app) -> None:
    """Templates' `_()`, `ngettext()`, `pgettext()`, `npgettext()` as Flask-Babel installs them, through
    `translations()`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
