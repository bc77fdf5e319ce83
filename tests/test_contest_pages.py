"""The contest pages: a brand posts a contest through the form (funded from its wallet), a provider
enters through the page, the brand sees the gallery as watermarked thumbnails, shortlists and awards
there; a rival entrant of a blind contest sees none of the others' entries; the tender hall links the
contests. Both languages."""
import io
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from extensions import db
from models import Contest, User
from tests.support.contests import image_part
from tests.support.ledger import balances
from tests.support.web import csrf_token, form_post, signed_in, switch


def _page(client, path, lang="en") -> str:
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_a_brand_posts_a_contest_through_the_form_and_its_prizes_leave_the_wallet(app, client, login, make_user, api):
    brand = make_user("brand")
    staff = api(make_user("admin"))
    staff.post("/admin/deposits", json={"user_id": brand.id, "amount": 500000, "currency": "CNY",
                                        "reference": "ICBC-CONTEST-1"})
    login(brand)
    form = {"title": "Poster for a spring tea", "category": "design", "currency": "CNY",
            "brief": "A poster for our spring Longjing tea launch.", "prizes": "3000, 1000",
            "entry_deadline": (datetime.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "selection_days": "7", "blind": "y", "ip_terms": "full_transfer", "handover_days": "7", "min_stars": ""}
    en = {"Accept-Language": "en"}
    bad = form_post(client, "/contests/new", {**form, "prizes": "lots"}, headers=en)
    assert bad.status_code == 422 and "numbers separated by commas" in bad.get_data(as_text=True)
    too_much = form_post(client, "/contests/new", {**form, "prizes": "5000, 1000"}, headers=en)
    assert too_much.status_code == 422 and "does not cover" in too_much.get_data(as_text=True)
    response = form_post(client, "/contests/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        contest = db.session.scalars(select(Contest)).one()
        assert contest.prize_total == 400000 and contest.blind
    assert balances(api(brand))["brand_wallet"] == 100000
    page = _page(client, response.headers["Location"])
    assert "Poster for a spring tea" in page and "Cancel the contest" in page
    assert "比稿" in _page(client, "/contests", "zh-CN") or "奖金" in _page(client, "/contests", "zh-CN")
    assert 'data-testid="contests-filter"' in _page(client, "/tenders")


def test_the_gallery_shows_the_brand_watermarked_thumbnails_and_rivals_nothing(app, client, login, contest_race):
    race = contest_race(2)
    with app.app_context():
        users = db.session.scalars(select(User).where(User.id.in_(race.provider_ids))).all()
        brand = db.session.get(User, race.brand_id)
    first = signed_in(app, race.provider_ids[0])
    path = f"/contests/{race.contest_id}"
    response = first.post(f"{path}/entries", content_type="multipart/form-data", data={
        "note": "Round green logo", "file": image_part((20, 160, 60)), "csrf_token": csrf_token(first, path)})
    assert response.status_code == 302
    race.enter(1)
    race.derive_images()
    login(brand)
    page = _page(client, path)
    assert page.count('data-testid="entry"') == 2 and page.count('data-testid="thumb"') == 2
    assert page.count('data-testid="original-withheld"') == 2 and "Download the original" not in page
    thumb = re.search(r'src="(/contests/\d+/entries/\d+/files/\d+/thumb)"', page).group(1)
    assert client.get(thumb).status_code == 200
    original = thumb.rsplit("/", 1)[0]
    assert client.get(original).status_code == 403
    # the rival of a blind contest: its own entry only
    rival = _page(first, path)
    assert rival.count('data-testid="entry"') == 1 and "Round green logo" in rival
    other = next(u for u in users if u.id == race.provider_ids[1])
    switch(first, other)
    assert "Round green logo" not in _page(first, path)
    assert first.get(thumb).status_code == 404
    # shortlist and award from the page, once entries have closed
    entry_ids = [int(i) for i in re.findall(r'id="entry-(\d+)"', page)]
    r = form_post(client, f"{path}/shortlist", {"entry_ids": entry_ids}, page=path)
    assert r.status_code == 302
    race.close_entries()
    page = _page(client, path)
    assert "Award the prizes" in page
    r = form_post(client, f"{path}/award", {"entry_ids": [entry_ids[1], entry_ids[0]]}, page=path)
    assert r.status_code == 302
    page = _page(client, path)
    assert page.count('data-testid="winner"') == 2 and "Download the original" in page
    assert 'data-testid="contest-status">Awarded' in page


def test_an_entry_that_is_not_an_image_is_refused_with_a_message(app, contest_race):
    race = contest_race(1)
    client = signed_in(app, race.provider_ids[0])
    path = f"/contests/{race.contest_id}"
    response = client.post(f"{path}/entries", content_type="multipart/form-data", follow_redirects=True, data={
        "note": "", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf"), "csrf_token": csrf_token(client, path)},
        headers={"Accept-Language": "en"})
    assert "An entry is an image" in response.get_data(as_text=True)


def test_the_winner_hands_over_on_the_page_and_the_brand_confirms(app, client, login, contest_race):
    race = contest_race(1, prizes=[50000])
    entry = race.enter(0)
    race.close_entries()
    race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [entry]})
    award_id = race.brand.get(f"/contests/{race.contest_id}").json["awards"][0]["id"]
    path = f"/contests/{race.contest_id}"
    winner = signed_in(app, race.provider_ids[0])
    assert "Hand over" in _page(winner, path)
    r = winner.post(f"{path}/awards/{award_id}/handover", content_type="multipart/form-data", data={
        "files": [image_part(name="logo-4000.png")], "csrf_token": csrf_token(winner, path)})
    assert r.status_code == 302
    with app.app_context():
        login(db.session.get(User, race.brand_id))
    page = _page(client, path)
    assert "logo-4000.png" in page and "Confirm the handover" in page
    assert client.get(re.search(r'href="(/contests/\d+/awards/\d+/files/\d+)"', page).group(1)).status_code == 200
    assert form_post(client, f"{path}/awards/{award_id}/confirm", {}, page=path).status_code == 302
    assert race.brand.get(path).json["awards"][0]["handover_state"] == "confirmed"
