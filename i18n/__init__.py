"""Locale and time-zone selection, and the money/time formatting every page uses."""
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from babel.dates import get_datetime_format
from babel.numbers import get_currency_precision, get_currency_symbol
from flask import current_app, g, has_request_context, request, session
from flask_babel import (
    _get_current_context,
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    format_timedelta,
    get_locale,
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
    text = format_currency(major_units(amount, currency), currency)
    symbol = SYMBOLS.get(currency)
    return text.replace(get_currency_symbol(currency, get_locale()), symbol, 1) if symbol else text


def datetime_local(value, fmt: str = "medium") -> str:
    """An aware UTC datetime shown in the viewer's time zone. "medium" is the locale's medium date with
    hours and minutes (Dec 6, 2026, 2:39 PM / 2026年12月6日 14:39): seconds are noise on a page.
    "full" is the full date with hours, minutes and the zone's name (for deadlines): never seconds either."""
    if value is None:
        return ""
    if fmt not in ("medium", "full"):
        return format_datetime(value, fmt)
    pattern = get_datetime_format(fmt, locale=get_locale()).replace("'", "")
    time = format_time(value, "short")
    if fmt == "full":
        time = f"{time} {format_datetime(value, 'zzzz')}"
    return pattern.replace("{1}", format_date(value, fmt)).replace("{0}", time)


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
    if not 1 <= days < 7 or not rest:
        return format_timedelta(delta, add_direction=True)
    # threshold 1: 6 days stay "6 days" (not "1 week"), 23 hours "23 hours"
    parts = {"days": format_timedelta(timedelta(days=days), threshold=1),
             "hours": format_timedelta(timedelta(hours=rest), threshold=1)}
    if delta > timedelta(0):
        return gettext("in %(days)s %(hours)s", **parts)
    return gettext("%(days)s %(hours)s ago", **parts)


def number(value) -> str:
    """A quantity such as a KPI target in the viewer's locale (30, 52.5, 1,200): never 3E+1."""
    return "" if value is None else format_decimal(value, format="#,##0.####")


def percent(whole) -> str:
    """A whole-number percentage (40 → 40%), spaced as the viewer's locale spaces it."""
    return format_percent(Decimal(whole) / 100)


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
    return format_timedelta(delta)


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
