"""An interface people like to use (issue 17 item 4): deadlines as relative times with the absolute date on
hover, long posting keys shortened with a copy button, and a favicon."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.factories import in_days
from tests.test_browser import login_as

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def test_a_deadline_reads_as_time_left_with_the_date_on_hover(market, client):
    m = market(1, bid_deadline=in_days(3))
    for headers, words in ((EN, "in 3 days"), (ZH, "3天后")):
        listing = client.get("/tenders", headers=headers).get_data(as_text=True)
        when = re.search(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', listing)
        assert when and when.group(3) == words, listing[:2000]
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00$", when.group(1))  # exact, machine-readable
        assert re.search(r"\d", when.group(2))  # the absolute date and time, in the reader's words
        detail = client.get(f"/tenders/{m.tender_id}", headers=headers).get_data(as_text=True)
        assert f">{words}</time>" in detail


def test_every_page_names_a_favicon_that_is_served(client):
    html = client.get("/", headers=EN).get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


@pytest.mark.browser
def test_a_posting_key_is_shortened_and_its_copy_button_copies_the_whole_key(new_page, deal):
    d = deal()
    d.deposit(450000_00)
    d.release(0)
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login_as(page, d.provider.get("/me").json["email"])
    page.goto("/statements")
    code = page.get_by_test_id("short-code").first
    whole, shown = code.get_attribute("title"), code.inner_text()
    assert shown.endswith("…") and whole.startswith(shown[:-1]) and len(shown) < len(whole)
    button = page.locator("button.copy").first
    button.click()
    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == whole


def _steps(html: str) -> list[tuple[str, str]]:
    stepper = html.split('data-testid="tender-stepper">')[1].split("</ol>", maxsplit=1)[0]
    return re.findall(r'<li class="(\w+)"[^>]*>([^<]+)</li>', stepper)


def test_a_tender_shows_where_it_stands_from_open_through_its_rounds_to_awarded(deal, market, client):
    m = market(1, rounds=["proposal", "pitch"])
    page = f"/tenders/{m.tender_id}"
    assert _steps(client.get(page, headers=EN).get_data(as_text=True)) == [
        ("current", "Open for bids"), ("todo", "Written proposal"), ("todo", "Pitch presentation"), ("todo", "Awarded")]
    m.bid(0)
    m.close()
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert [state for state, _label in _steps(html)] == ["done", "current", "todo", "todo"]
    assert 'aria-current="step">Written proposal' in html
    d = deal()  # an awarded tender: every step behind it
    tender = d.brand.get(f"/contracts/{d.contract_id}").json["tender_id"]
    assert [s for s, _l in _steps(client.get(f"/tenders/{tender}", headers=ZH).get_data(as_text=True))][-1] == "current"


def test_a_contract_shows_how_many_milestones_are_done(deal, login, make_user, client):
    d = deal()
    d.deposit(150000_00)
    d.release(0)
    login(make_user("admin"))
    html = client.get(f"/contracts/{d.contract_id}", headers=EN).get_data(as_text=True)
    bar = html.split('data-testid="contract-progress">')[1].split("</p>")[0]
    assert '<progress max="3" value="1"' in bar and "1 of 3 milestones done" in bar


@pytest.mark.browser
def test_on_a_phone_the_menu_folds_behind_a_button_that_opens_it_and_its_links_work(new_page, deal):
    d = deal()
    page = new_page(locale="en-US")
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, d.provider.get("/me").json["email"])
    toggle, menu = page.get_by_test_id("menu-toggle"), page.locator("#main-menu")
    contracts = menu.get_by_role("link", name="Contracts")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(contracts).to_be_hidden()  # folded: the bar is one row, not the whole menu
    assert page.get_by_test_id("notifications").is_visible()  # the bell stays in view
    assert page.locator("header").bounding_box()["height"] < 70
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(contracts).to_be_visible()
    assert contracts.locator("svg.icon use").get_attribute("href").endswith("icons.svg#briefcase")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    contracts.click()
    page.wait_for_url("**/contracts")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # a new page starts folded
    # By keyboard: the button opens the menu, Escape folds it and gives the focus back.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("link", name="Wallet")).to_be_visible()
    expect(menu.get_by_role("link", name="Contracts")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(contracts).to_be_hidden()


@pytest.mark.browser
def test_on_a_desktop_the_menu_shows_its_links_with_icons_and_no_button(new_page, client):
    page = new_page(locale="en-US")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/tenders")
    expect(page.get_by_test_id("menu-toggle")).to_be_hidden()
    link = page.locator("#main-menu").get_by_role("link", name="Providers")
    expect(link).to_be_visible()
    assert page.locator("header").bounding_box()["height"] < 80  # one row
    # the sprite the icons use is served from this site
    href = link.locator("use").get_attribute("href").split("#")[0]
    sprite = client.get(href)
    assert sprite.status_code == 200 and b'<symbol id="people"' in sprite.data
