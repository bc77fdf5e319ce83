"""An interface people like to use (issue 17 item 4): deadlines as relative times with the absolute date on
hover, long posting keys shortened with a copy button, and a favicon."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from extensions import db
from i18n import money, time_left
from models import Milestone, ProviderProfile, ProviderRating
from tests.support.factories import in_days
from tests.support.web import signed_in
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
    with d.app.test_request_context(), force_locale("en"):
        first = db.session.get(Milestone, d.milestone_ids[0])
        assert first.released_amount == first.amount > 0
        expected = (f"{money(first.amount, first.currency)} of "
                    f"{money(sum(m.amount for m in first.contract.milestones), first.currency)} released")
    assert expected in bar


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


def _rated(app, make_user, scores: list[int]) -> int:
    """A provider with one rating row per score (a day apart from March 1), its dimensions as DIMENSIONS_SET."""
    provider = make_user("provider")
    with app.app_context():
        db.session.get(ProviderProfile, provider.id).stars = 4
        for day, score in enumerate(scores):
            when = datetime(2026, 3, 1 + day, 8, tzinfo=UTC)
            db.session.add(ProviderRating(provider_id=provider.id, computed_at=when, score=score, stars=4,
                                          inputs={"completed_contracts": 3}, **DIMENSIONS_SET))
        db.session.commit()
    return provider.id


DIMENSIONS_SET = {"service_reviews": 82, "operating": 64.5, "brand_development": 40, "growth": 15}


def test_the_rating_shows_a_bar_per_dimension_and_the_score_over_time(app, make_user, client):
    provider_id = _rated(app, make_user, [55, 61, 70])
    html = client.get(f"/providers/{provider_id}", headers=EN).get_data(as_text=True)
    bars = html.split('data-testid="rating-bars">')[1].split("</ul>")[0]
    for key, name in (("service_reviews", "Service reviews"), ("operating", "Operating capability"),
                      ("brand_development", "Brand development"), ("growth", "Growth potential")):
        bar = bars.split(f'data-testid="bar-{key}">')[1].split("</li>")[0]
        value = f"{DIMENSIONS_SET[key]:.2f}"
        assert f'aria-label="{name}: {value} of 100"' in bar  # what a screen reader hears
        assert re.search(rf'class="bar-fill" width="{DIMENSIONS_SET[key]:g}(\.0)?"', bar)  # drawn to its value
        assert f">{value}</span>" in bar  # and written beside it
    chart = html.split('data-testid="trend-chart">')[1].split("</figure>")[0]
    points = re.search(r'<polyline class="trend-line" fill="none" points="([^"]+)"', chart).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    xs = [float(p.split(",")[0]) for p in points]
    assert len(points) == 3 and ys[0] > ys[1] > ys[2]  # rising score: higher on the chart (smaller y)
    assert xs[0] < xs[1] < xs[2]
    assert "Mar 3, 2026" in chart and "70.00" in chart  # each point's date and score on hover
    zh = client.get(f"/providers/{provider_id}", headers=ZH).get_data(as_text=True)
    assert 'aria-label="运营能力：64.50 / 100"' in zh


def test_one_rating_draws_bars_but_no_trend_line(app, make_user, client):
    html = client.get(f"/providers/{_rated(app, make_user, [60])}", headers=EN).get_data(as_text=True)
    assert 'data-testid="rating-bars"' in html and 'data-testid="trend-chart"' not in html


def test_statement_and_wallet_lines_say_what_happened_in_words(deal, app):
    d = deal()
    d.deposit(450000_00)
    d.release(1)  # the second milestone
    tender = d.brand.get(f"/tenders/{d.brand.get(f'/contracts/{d.contract_id}').json['tender_id']}").json["title"]
    provider = signed_in(app, d.provider.get("/me").json["id"])
    for headers, words in ((EN, f"Milestone 2 of “{tender}” released"), (ZH, f"“{tender}”第 2 个里程碑已放款")):
        html = provider.get("/statements", headers=headers).get_data(as_text=True)
        whats = re.findall(r'<td data-testid="line-what">([^<]+)', html)
        assert [w.strip() for w in whats] == [words], whats  # not a posting kind or key
    html = signed_in(app, d.brand_id).get("/wallet", headers=ZH).get_data(as_text=True)
    whats = [w.split(" · ")[0].strip() for w in re.findall(r'<td data-testid="entry-what">([^<]+)', html)]
    assert f"“{tender}”第 2 个里程碑已存入托管" in whats and "银行转账入账" in whats  # a deposit has no milestone


def test_a_countdown_under_a_week_reads_in_days_and_hours(app):
    delta = timedelta(days=5, hours=3, minutes=10)
    with app.test_request_context():
        with force_locale("en"):
            assert time_left(delta) == "in 5 days 3 hours" and time_left(-delta) == "5 days 3 hours ago"
            assert time_left(timedelta(days=2, minutes=-1)) == "in 2 days"  # a whole number of days
            assert time_left(timedelta(days=20)) == "in 3 weeks"  # further off: one rounded unit
            assert time_left(timedelta(hours=5)) == "in 5 hours"
        with force_locale("zh_CN"):
            assert time_left(delta) == "5天3小时后"


TIME = re.compile(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>')


def test_the_auto_release_and_the_dispute_deadline_read_as_time_left_with_the_date_on_hover(deal, app):
    d = deal()
    d.deposit(450000_00)
    d.fund(0)
    d.deliver(0)
    brand = signed_in(app, d.brand_id)
    for headers, words in ((EN, r"in \d+ (days?|weeks?)( \d+ hours?)?"), (ZH, r"\d+(天|周)(\d+小时)?后")):
        page = brand.get(f"/contracts/{d.contract_id}", headers=headers).get_data(as_text=True)
        countdown = page.split(f'data-testid="countdown-{d.milestone_ids[0]}">')[1].split("</p>")[0]
        when = TIME.search(countdown)
        assert when and re.fullmatch(words, when.group(3)), countdown
        assert re.search(r"\d", when.group(2))  # the absolute date on hover
    opened = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes",
                          json={"reason": "quality", "statement": "Blurry.", "evidence": ["https://pan.example.com/s/x"]})
    for headers, words in ((EN, r"in \d+ (days?|weeks?)( \d+ hours?)?"), (ZH, r"\d+(天|周)(\d+小时)?后")):
        page = brand.get(f"/disputes/{opened.json['id']}", headers=headers).get_data(as_text=True)
        due = page.split('data-testid="response-deadline">')[1].split("</span>")[0]
        when = TIME.search(due)
        assert when and re.fullmatch(words, when.group(3)), due
        deadline = d.brand.get(f"/disputes/{opened.json['id']}").json["response_deadline"]
        assert when.group(1)[:16] == deadline[:16]  # the exact deadline, machine-readable


@pytest.mark.browser
def test_on_a_phone_statement_lines_are_cards_and_the_page_never_scrolls_sideways(new_page, deal):
    d = deal()
    d.deposit(450000_00)
    d.release(0)
    page = new_page(locale="en-US")
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, d.provider.get("/me").json["email"])
    page.goto("/statements")
    line = page.get_by_test_id("line").first
    net = line.locator("td[data-label=Net]")
    assert net.evaluate("td => getComputedStyle(td).display") != "table-cell"  # a card: cells under each other
    assert net.evaluate("td => getComputedStyle(td, '::before').content") == '"Net: "'  # under its label
    assert line.bounding_box()["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 768})  # a desktop keeps the table
    assert net.evaluate("td => getComputedStyle(td).display") == "table-cell"


def test_the_menu_marks_the_page_you_are_on(login, make_user, client):
    login(make_user("brand"))
    html = client.get("/tenders/mine", headers=EN).get_data(as_text=True)
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', html)
    assert current == ["/tenders/mine"]  # not "Tenders" as well
    html = client.get("/tenders", headers=EN).get_data(as_text=True)
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', html) == ["/tenders"]
