"""A short, readable name for a browser from its User-Agent header ("Chrome on Windows"), for the list
of logins on the account page. A rough guess by well-known tokens, not a parser: the raw header is shown
in the row's title for whoever wants the detail."""
from flask_babel import gettext as _

# Checked in order: the first token found names it (Edge and WeChat also say "Chrome" or "Safari").
_BROWSERS = (("MicroMessenger", "WeChat"), ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("CriOS/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_summary(user_agent: str | None) -> str:
    ua = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in ua), None)
    system = next((name for token, name in _SYSTEMS if token in ua), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or (ua[:40] if ua else _("Unknown browser"))
