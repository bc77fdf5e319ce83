"""In Chromium at 390 px: the suspended user's reason page with its appeal form, and the staff account page
and appeal queue, render without scrolling sideways (and the staff's suspend confirmation works under
the CSP)."""
from playwright.sync_api import expect

from tests.support.web import otp_for
from tests.test_browser import login_as

PHONE = {"width": 390, "height": 844}
LONG_REASON = ("Repeated requests for payment outside the platform, reported by three brands; see "
               "https://reports.example.com/cases/2026/12/very-long-path-without-any-break-" + "x" * 80)


def sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_suspension_pages_fit_a_phone(new_page, make_user, app):
    staff, provider = make_user("admin"), make_user("provider", display_name="Guangying Studio")
    desk = new_page()
    desk.set_viewport_size(PHONE)
    login_as(desk, staff.email, otp_for(app, staff.email))
    desk.goto(f"/admin/accounts/{provider.id}")
    assert sideways_scroll(desk) <= 0
    desk.fill("#reason", LONG_REASON)
    desk.click("form[action$='/suspend'] button[type=submit]")  # the confirm dialog is accepted
    desk.wait_for_selector("[data-testid=standing-suspension]")
    assert sideways_scroll(desk) <= 0

    phone = new_page()
    phone.set_viewport_size(PHONE)
    login_as(phone, provider.email, then="**/suspended")
    assert "very-long-path" in phone.content() and sideways_scroll(phone) <= 0
    phone.fill("#text", "The payments were refunds agreed with the brand in the platform chat.")
    phone.click("main form button[type=submit]")
    expect(phone.locator("#text")).to_have_count(0)  # appealed (the URL stays the same: wait for the form to go)
    assert phone.locator("#text").count() == 0 and sideways_scroll(phone) <= 0  # appealed: no second form

    desk.goto("/admin/suspensions")
    assert "Guangying Studio" in desk.content() and sideways_scroll(desk) <= 0
    desk.goto("/admin/accounts?q=guangying")
    assert sideways_scroll(desk) <= 0
