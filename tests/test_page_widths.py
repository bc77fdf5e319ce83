"""Every page the demo data opens fits a 390 px phone and a 1366 px desktop in both languages, in
Chromium: nothing makes the page scroll sideways (wide tables scroll inside their own box); and axe-core
finds no serious or critical accessibility violation (WCAG 2.1 AA) on any of them at either width."""
import os
import re
from pathlib import Path

import pyotp
import pytest

from demo.seed import ADMIN_TOTP_SECRET, DEMO_PASSWORD
from tests.support.axe import severe_violations, with_axe
from tests.support.demo_data import LOGINS, pages_for
from tests.support.menu import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 768}
SIGNED_OUT = ["/", "/login", "/register", "/forgot-password", "/tenders", "/contests", "/providers", "/market"]
SHOTS = os.environ.get("WITKEY_SCREENSHOTS")  # `make screenshots`: a full-page picture of every page swept

# The page's own width against the viewport's, and the widest elements that stick out (not those inside a box
# that scrolls on its own, which is how wide tables are meant to fit), to say what to fix when it fails.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = e => e.closest('.table-scroll, pre, [data-scroll-x]') !== null;
  const out = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !scrolls(e))
    .slice(0, 5).map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
  return {scroll: document.documentElement.scrollWidth, width, out};
}"""


def overflowing(page, paths: list[str], who: str) -> list[str]:
    """What sticks out sideways on each page, and (on a page opened with_axe) what axe finds serious. `who`:
    the role signed in (or "visitor"), in the screenshot's name, as a brand and a provider see one path differently."""
    found = []
    for path in paths:
        response = page.goto(path)
        assert response.status in (200, 403), (path, response.status)  # 403: another brand's board
        fit = page.evaluate(OVERFLOW)
        if fit["scroll"] > fit["width"] + 1:
            found.append(f"{path} at {fit['width']} px: {fit['scroll']} px wide ({', '.join(fit['out'])})")
        lang = page.locator("html").get_attribute("lang")
        if page.evaluate("typeof axe !== 'undefined'"):
            found += severe_violations(page, f"{path} at {fit['width']} px, {lang}")
        if SHOTS:
            name = re.sub(r"[^\w.-]+", "_", path.strip("/")) or "home"
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{who}-{name}-{fit['width']}-{lang}.png", full_page=True)
    return found


def sign_in(page, role: str) -> None:
    page.goto("/login")
    page.fill("#email", LOGINS[role])
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    if role == "admin":  # staff sign in with two factors
        page.wait_for_url("**/login/code")
        page.fill("#code", pyotp.TOTP(ADMIN_TOTP_SECRET).now())
        page.click("main form button[type=submit]")
    page.wait_for_url("**/")


def switch_language(page, code: str) -> None:
    open_menu(page)
    page.locator(f"[data-testid=language] button[lang={code}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang").startswith(code[:2])


@pytest.mark.parametrize("role", ["admin", "brand", "provider"])
def test_signed_in_pages_fit_a_phone_in_both_languages_and_a_desktop(new_page, demo, role):
    page = with_axe(new_page())
    sign_in(page, role)  # once: a staff TOTP code is good for one sign-in only
    paths = pages_for(role, demo) + ["/account/two-factor", "/account/webhooks", "/account/notifications"]
    problems = []
    for code in ("en", "zh-CN"):
        switch_language(page, code)
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            problems += overflowing(page, paths, role)
    if role == "brand":  # the enrolment step (QR code, key, code field) at both widths
        page.goto("/account/two-factor")
        page.click("main form[action$='/two-factor/start'] button[type=submit]")
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            fit = page.evaluate(OVERFLOW)
            if fit["scroll"] > fit["width"] + 1:
                problems.append(f"two-factor enrolment at {fit['width']} px: {fit['scroll']} px ({fit['out']})")
            problems += severe_violations(page, f"two-factor enrolment at {fit['width']} px")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_signed_out_pages_fit_a_phone_and_a_desktop(new_page, demo, locale):
    page = with_axe(new_page(locale=locale))
    problems = []
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        problems += overflowing(page, SIGNED_OUT, "visitor")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", [PHONE, DESKTOP])
def test_the_bell_opens_a_dropdown_of_grouped_notices_that_fits_the_screen(new_page, demo, size):
    page = new_page(locale="en-US")
    sign_in(page, "provider")
    page.set_viewport_size(size)
    page.goto("/contracts")
    page.click("[data-testid=notifications]")
    panel = page.locator("[data-testid=bell-panel]")
    panel.locator("[data-testid=bell-all]").wait_for()
    assert page.url.endswith("/contracts")  # opened in place, not followed
    assert panel.locator("[data-testid=bell-group] h2").count() >= 1
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    fit = page.evaluate(OVERFLOW)
    assert fit["scroll"] <= fit["width"] + 1, fit
    page.keyboard.press("Escape")
    assert panel.is_hidden()
