"""Issue 19's done-when for contests, in Chromium: a brand runs a blind logo contest through the pages —
the publish form, three providers' entry uploads, ratings and a shortlist of two. The brand sees its
entries only as watermarked, reduced previews; an entrant sees nothing of its rivals (their image URLs
are not on its page and answer 404). The brand misses the selection deadline (the clock moved), the
worker splits the prize between the two finalists — never back to the brand. A second contest is
awarded from the page, the winner hands over the full-resolution file and the brand confirms and
downloads the originals."""
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Contest, LedgerPosting, Upload
from services import ledger
from services.runners import images as image_job
from tests.support.ledger import balances
from tests.test_browser import login_as
from workers import jobs

pytestmark = pytest.mark.browser
ZONE = ZoneInfo("Asia/Shanghai")
FIRST_PRIZE, SECOND_PRIZE = 3000_00, 2000_00  # ¥3,000 split between two finalists; ¥2,000 awarded


def _logo(colour, accent, size=(2400, 1600)) -> bytes:
    """A logo as a designer exports it: large, with shapes (so a watermark and a reduction show)."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 4, h // 6, 3 * w // 4, 5 * h // 6), fill=accent)
    draw.rectangle((w // 3, h // 3, 2 * w // 3, 2 * h // 3), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": data}


def _derive(app):
    """The image job for every upload not derived yet: what the RQ worker does once the upload commits."""
    with app.app_context():
        for upload_id in db.session.scalars(select(Upload.id).where(Upload.derived_at.is_(None))).all():
            image_job.derive(upload_id)


def _move_clock(app, contest_id, *, entries_closed_ago, selection_left):
    """Time passes for this contest: its deadlines move into the past (as the other contest tests do)."""
    now = datetime.now(UTC)
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.entry_deadline = now - entries_closed_ago
        contest.selection_deadline = now + selection_left
        db.session.commit()


def _publish(brand, title: str, prize: str) -> int:
    brand.goto("/contests/new")
    brand.fill("#title", title)
    brand.select_option("#category", "design")
    brand.fill("#brief", "A round logo for our Hangzhou tea shop: green and gold, readable on a cup lid.")
    brand.fill("#deliverable_spec", "Vector source files and a 4000 px PNG.")
    brand.select_option("#currency", "CNY")
    brand.fill("#prizes", prize)
    brand.fill("#entry_deadline", (datetime.now(ZONE) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    expect(brand.locator("#blind")).to_be_checked()  # blind is the default
    brand.get_by_role("button", name="Publish and fund the contest").click()
    brand.wait_for_url(re.compile(r".*/contests/\d+$"))
    expect(brand.locator(".flash-success")).to_contain_text("prizes are held in escrow")
    return int(re.search(r"/contests/(\d+)$", brand.url).group(1))


def _enter(page, contest_id: int, data: bytes, note: str) -> int:
    page.goto(f"/contests/{contest_id}")
    page.locator("#file").set_input_files(_file("logo.png", data))
    page.fill("#note", note)
    page.get_by_role("button", name="Submit entry").click()
    expect(page.locator(".flash-success")).to_contain_text("Your entry is in")
    return int(page.get_by_test_id("entry").get_attribute("id").removeprefix("entry-"))


def _payable(app, provider_id: int) -> int:
    with app.app_context():
        return ledger.balance(ledger.payable(provider_id, "CNY"))


def test_a_blind_contest_is_split_between_finalists_and_a_second_is_awarded_and_handed_over(
        app, api, make_user, new_page):
    brand_user = make_user("brand", display_name="Hangzhou Tea House")
    designers = [make_user("provider", display_name=name) for name in ("Lin Studio", "Qiao Design", "Mo Works")]
    staff = api(make_user("admin"))
    assert staff.post("/admin/deposits", json={"user_id": brand_user.id, "amount": FIRST_PRIZE + SECOND_PRIZE,
                                               "currency": "CNY", "reference": "ICBC-LOGO-1"}).status_code == 201

    brand = new_page()
    login_as(brand, brand_user.email)
    contest_id = _publish(brand, "Logo for a tea shop", "3000")
    assert balances(api(brand_user))["brand_wallet"] == SECOND_PRIZE  # the whole prize left for escrow

    # three providers upload their entries through the entry form
    originals = [_logo((250, 248, 240), accent) for accent in ((30, 120, 60), (190, 150, 40), (40, 60, 150))]
    pages, entry_ids = [], []
    for user, data, note in zip(designers, originals, ("A leaf in a cup", "Golden steam", "Ink-wash hills"),
                                strict=True):
        page = new_page()
        login_as(page, user.email)
        entry_ids.append(_enter(page, contest_id, data, note))
        pages.append(page)
    _derive(app)

    # the brand sees all three, as watermarked previews reduced to at most 1200 px
    brand.goto(f"/contests/{contest_id}")
    expect(brand.get_by_test_id("entry")).to_have_count(3)
    expect(brand.get_by_test_id("thumb")).to_have_count(3)
    expect(brand.get_by_test_id("original-withheld")).to_have_count(3)
    view_url = brand.locator(f"#entry-{entry_ids[0]} a[data-lightbox]").get_attribute("href")
    response = brand.request.get(view_url)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    preview = Image.open(io.BytesIO(response.body()))
    assert max(preview.size) <= 1200 and preview.size != (2400, 1600)
    reduced = Image.open(io.BytesIO(originals[0])).convert("RGB").resize(preview.size)
    difference = ImageStat.Stat(ImageChops.difference(reduced, preview.convert("RGB"))).mean
    assert max(difference) > 2, "the preview carries the watermark"  # (JPEG noise alone stays under 1)
    original_url = view_url.rsplit("/", 1)[0]
    assert brand.request.get(original_url).status == 403  # the original only once it wins

    # each entrant sees its own entry only: no rival's image URL on its page, and those answer 404 to it
    rival_urls = {}
    for i, entry_id in enumerate(entry_ids):
        link = brand.locator(f"#entry-{entry_id} a[data-lightbox]")
        rival_urls[entry_id] = [link.get_attribute("href"), link.locator("img").get_attribute("src"),
                                link.get_attribute("href").rsplit("/", 1)[0]]
        assert rival_urls[entry_id][0].startswith(f"/contests/{contest_id}/entries/{entry_id}/"), i
    for page, own in zip(pages, entry_ids, strict=True):
        page.goto(f"/contests/{contest_id}")
        expect(page.get_by_test_id("entry")).to_have_count(1)
        html = page.content()
        for entry_id, urls in rival_urls.items():
            if entry_id == own:
                continue
            assert f"/entries/{entry_id}/" not in html and f'id="entry-{entry_id}"' not in html
            for url in urls:
                assert page.request.get(url).status == 404, url

    # the brand rates all three and shortlists two
    for entry_id, stars in zip(entry_ids, (5, 4, 2), strict=True):
        card = brand.locator(f"#entry-{entry_id}")
        card.locator(f"#rating-{entry_id}").select_option(str(stars))
        card.locator(f"#feedback-{entry_id}").fill(f"{stars} stars: thank you")
        card.get_by_role("button", name="Rate").click()
        expect(brand.locator(".flash-success")).to_contain_text("Rating saved")
    for entry_id in entry_ids[:2]:
        brand.locator(f"#entry-{entry_id} input[name=entry_ids]").check()
    brand.get_by_role("button", name="Save the shortlist").click()
    expect(brand.locator(".flash-success")).to_contain_text("Shortlist saved")
    expect(brand.get_by_test_id("entry-count")).to_have_text("3 · 2 shortlisted")
    pages[2].goto(f"/contests/{contest_id}")  # the entrants see anonymised counts
    expect(pages[2].get_by_test_id("entry-count")).to_have_text("3 · 2 shortlisted")
    pages[0].goto(f"/contests/{contest_id}")
    expect(pages[0].get_by_test_id("rating")).to_contain_text("5 / 5")  # its own private feedback

    # the brand misses the selection deadline; the worker splits the prize between the finalists
    _move_clock(app, contest_id, entries_closed_ago=timedelta(days=8), selection_left=-timedelta(minutes=1))
    with app.app_context():
        assert jobs.award_due_contests()["decided"] == {contest_id: "split"}
        assert db.session.scalar(select(LedgerPosting.id).where(
            LedgerPosting.key == f"prize:contest:{contest_id}:cancel")) is None  # nothing returned
        cut = ledger.commission_of(FIRST_PRIZE // 2, app.config["COMMISSION_BPS"])
    share = FIRST_PRIZE // 2 - cut
    assert [_payable(app, u.id) for u in designers] == [share, share, 0]
    assert balances(api(brand_user))["brand_wallet"] == SECOND_PRIZE
    for page, gets in zip(pages, (True, True, False), strict=True):
        page.goto(f"/contests/{contest_id}")
        expect(page.get_by_test_id("contest-status")).to_have_text("Awarded")
        expect(page.get_by_test_id("winner")).to_have_count(1 if gets else 0)
        if gets:
            expect(page.get_by_test_id("winner")).to_contain_text("¥1,500.00")  # its half of the prize
            page.goto("/payouts")
            expect(page.get_by_test_id("outlook-CNY")).to_contain_text(f"¥{share / 100:,.2f}")

    # a second contest: awarded from the page, handed over, confirmed, the originals downloaded
    second = _publish(brand, "Logo for the tea shop's spring range", "2000")
    assert balances(api(brand_user))["brand_wallet"] == 0
    winner_file = _logo((255, 255, 255), (200, 40, 40))
    _enter(pages[2], second, winner_file, "Plum blossom")
    _enter(pages[1], second, originals[1], "Golden steam again")
    _derive(app)
    _move_clock(app, second, entries_closed_ago=timedelta(minutes=1), selection_left=timedelta(days=7))
    brand.goto(f"/contests/{second}")
    winner_entry = int(brand.locator("[data-testid=entry]:has-text('Plum blossom')").get_attribute("id")[6:])
    brand.locator("#winner-1").select_option(str(winner_entry))
    brand.get_by_role("button", name="Pay the prizes").click()  # (the confirm dialog is accepted)
    expect(brand.locator(".flash-success")).to_contain_text("Prizes paid to the winners")
    expect(brand.get_by_test_id("contest-status")).to_have_text("Awarded")

    source = _logo((255, 255, 255), (200, 40, 40), size=(4000, 2667))
    winner = pages[2]
    winner.goto(f"/contests/{second}")
    winner.locator("input[type=file][id^=handover-files-]").set_input_files(_file("plum-blossom-4000.png", source))
    winner.get_by_role("button", name="Hand over").click()
    expect(winner.locator(".flash-success")).to_contain_text("Files handed over")

    brand.goto(f"/contests/{second}")
    handover = brand.get_by_test_id("handover")
    expect(handover).to_contain_text("plum-blossom-4000.png")
    brand.get_by_role("button", name="Confirm the handover").click()
    expect(brand.locator(".flash-success")).to_contain_text("Handover confirmed")
    with brand.expect_download() as download:
        brand.get_by_role("link", name="plum-blossom-4000.png").click()
    assert hashlib.sha256(download.value.path().read_bytes()).digest() == hashlib.sha256(source).digest()
    with brand.expect_download() as download:
        brand.locator(f"#entry-{winner_entry}").get_by_role("link", name="Download the original").click()
    assert download.value.path().read_bytes() == winner_file  # the entry itself, whole, now it has won
    assert _payable(app, designers[2].id) == SECOND_PRIZE - ledger.commission_of(
        SECOND_PRIZE, app.config["COMMISSION_BPS"])
