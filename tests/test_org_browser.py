"""The organisation page in a browser, on a 390 px phone and on a desktop: an owner invites a finance
member from the account menu, the invitee accepts from the mailed link, the owner changes its role."""
import pytest

from tests.support.menu import open_menu
from tests.support.orgs import invitation_token, new_account
from tests.support.web import PASSWORD


def _login(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # never scrolls sideways


@pytest.mark.parametrize("width", [390, 1280])
def test_owner_invites_and_the_invitee_joins(app, new_page, width):
    _owner_id, owner_email = new_account(app, "brand", name="Semir Apparel")
    owner = new_page()
    owner.set_viewport_size({"width": width, "height": 900})
    _login(owner, owner_email)
    open_menu(owner)  # folded on a phone
    owner.click("[data-testid=org-link]")
    owner.wait_for_url("**/org")
    assert owner.text_content("[data-testid=org-name]") == "Semir Apparel"
    invitee_email = f"finance-{width}@example.com"
    owner.fill("#email", invitee_email)
    owner.select_option("#role", "finance")
    owner.click("#invite button[type=submit]")
    owner.wait_for_url("**/org")
    assert invitee_email in owner.text_content("#invitations")
    _fits(owner, width)

    new_account(app, "brand", email=invitee_email)
    invitee = new_page()
    invitee.set_viewport_size({"width": width, "height": 900})
    _login(invitee, invitee_email)
    invitee.goto(f"/invitations/{invitation_token(app, invitee_email)}")
    _fits(invitee, width)
    invitee.click("[data-testid=accept-invitation]")
    invitee.wait_for_url("**/org")
    assert "Finance" in invitee.text_content("[data-testid=members]")
    assert invitee.locator("#invite").count() == 0  # only owners manage members

    owner.reload()
    row = owner.locator("[data-testid=members] tbody tr", has_text=invitee_email)
    row.locator("select[name=role]").select_option("viewer")
    row.locator("button[type=submit]", has_text="Change").click()
    owner.wait_for_url("**/org#members")
    assert owner.locator("[data-testid=members] tbody tr", has_text=invitee_email) \
        .locator("select[name=role]").input_value() == "viewer"
    _fits(owner, width)
