"""A conversation and each role's home page in Chromium, at 1366 and 390 px, in English and Chinese: new
messages appear without reloading, nothing scrolls sideways, no string stays in English in the Chinese
interface, and the console stays clean."""
import pyotp
import pytest

from tests.support.menu import open_menu
from tests.support.web import PASSWORD, TOTP_SECRET

WIDTHS = [1366, 390]
LOCALES = {"en": "en-US", "zh_CN": "zh-CN"}
# Strings of these pages that must not show in the Chinese interface.
ENGLISH = ["What needs you now", "Nothing needs you right now", "Messages", "Send a private message",
           "Reported messages", "unread messages", "Attachments"]


def _sign_in(page, email, staff=False):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    if staff:
        page.wait_for_url("**/login/code")
        page.fill("#code", pyotp.TOTP(TOTP_SECRET).now())
        page.click("main form button[type=submit]")
    page.wait_for_url("**/")


def _open(new_page, width, lang, errors):
    page = new_page(locale=LOCALES[lang])
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    # A failed resource is reported by its response below, with its URL (the favicon is issue 17, item 4).
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return page


def _check(page, width, lang):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    if lang == "zh_CN":
        text = page.inner_text("main") + page.text_content("header")  # the folded menu too
        assert not [s for s in ENGLISH if s in text], page.url


def _set_language(page, lang):
    open_menu(page)
    page.locator(f"[data-testid=language] button[lang={'zh-CN' if lang == 'zh_CN' else 'en'}]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("width", WIDTHS)
def test_a_conversation_and_the_home_pages(new_page, market, make_user, width, lang):
    m = market(1)
    m.bid(0)
    opened = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "When is the pitch?"})
    conv_id = opened.json["id"]
    brand_email = m.brand.get("/me").json["email"]
    errors = []

    brand = _open(new_page, width, lang, errors)
    _sign_in(brand, brand_email)
    _set_language(brand, lang)
    assert brand.locator("[data-testid=todo]").is_visible()  # the landing page after sign-in
    _check(brand, width, lang)
    open_menu(brand)  # folded on a phone
    brand.click("[data-testid=messages-link]")
    brand.click(f"a[href$='/conversations/{conv_id}']")
    assert "When is the pitch?" in brand.inner_text("[data-testid=messages]")
    _check(brand, width, lang)
    # The provider writes; the brand's open page shows it without a reload.
    m.providers[0].post(f"/conversations/{conv_id}/messages", json={"body": "We are ready on Monday."})
    brand.wait_for_selector("text=We are ready on Monday.", timeout=15000)
    brand.fill("#body", "Monday 10:00 then.")
    brand.click("#write button[type=submit]")
    assert "Monday 10:00 then." in brand.inner_text("[data-testid=messages]")
    _check(brand, width, lang)

    provider = _open(new_page, width, lang, errors)
    _sign_in(provider, m.provider_users[0].email)
    _set_language(provider, lang)
    assert provider.locator("[data-testid=todo]").is_visible()
    _check(provider, width, lang)

    staff_user = make_user("admin")
    staff = _open(new_page, width, lang, errors)
    _sign_in(staff, staff_user.email, staff=True)
    _set_language(staff, lang)
    assert staff.locator("[data-testid=todo]").is_visible()
    _check(staff, width, lang)
    assert not errors, errors
