"""Reviews, the directory, "why you have N stars" and recommendations in the pages."""
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale

from extensions import db
from models import PartnerBadge, ProviderCategory, ProviderProfile, ProviderRating, TenderInvitation, User
from models.types import utcnow
from services import directory, profiles, ratings_data
from services.runners import ratings as rating_runner
from tests.support.factories import bid_payload, tender_payload
from tests.support.web import form_post, switch
from texts import rating_text

GOOD = {"quality": "5", "communication": "4", "timeliness": "5", "professionalism": "5"}


def as_user(email):
    return type("U", (), {"email": email})()


def test_double_blind_reviews_in_the_contract_page(client, login, track_record, app):
    provider, provider_id, [(brand, contract)] = track_record(1)
    with app.app_context():
        brand_email = db.session.get(User, brand.get("/me").json["id"]).email
        provider_email = db.session.get(User, provider_id).email
    login(as_user(brand_email))
    page = f"/contracts/{contract}"
    form_post(client, f"/reviews/contract/{contract}", {**GOOD, "comment": "Sharp photos, on time."}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="review-brand"' in html and 'data-testid="review-pending"' in html  # its author sees it,
    # told that it is theirs alone for now
    switch(client, as_user(provider_email))
    html = client.get(page).get_data(as_text=True)
    assert "Sharp photos" not in html  # blind until the provider reviews too
    form_post(client, f"/reviews/contract/{contract}", {**GOOD, "comment": "Clear brief."}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Sharp photos" in html and "Clear brief." in html
    assert "Submit review" not in html and 'data-testid="review-pending"' not in html  # once only; both out


EN = {"Accept-Language": "en"}


def test_provider_page_explains_the_stars_with_its_own_figures(client, login, track_record, app):
    provider, provider_id, deals = track_record(3, brands=3)
    scores = {"scores": {"quality": 5, "communication": 5, "timeliness": 5, "professionalism": 5}}
    for brand, contract in deals:  # both sides: the reviews are public, so they count
        brand.post(f"/contracts/{contract}/reviews", json=scores)
        provider.post(f"/contracts/{contract}/reviews", json=scores)
    with app.app_context():
        rating_runner.recompute_dirty()
        stars = db.session.get(ProviderProfile, provider_id).stars
    html = client.get(f"/providers/{provider_id}", headers=EN).get_data(as_text=True)
    assert stars is not None and f"{stars} of 6 stars" in html and "Stars run from 3 to 6" in html
    assert 'data-testid="breakdown"' in html and "Operating capability" in html
    assert "The provider's figures" in html and "What would raise it" not in html  # a reader, not the provider
    # the provider's own figures, not only what feeds a dimension in general
    assert "from 3 reviews" in html and "On time: 3 of 3 settled milestones" in html
    assert "Funded work finished: 3 of 3 milestones" in html and "Disputes lost: 0 of 3 settled milestones" in html
    assert "Brands served in the last 12 months: 3" in html
    assert 'data-testid="next-level"' in html and "is the top level" in html  # 6 stars: nothing above
    assert "need a score of" not in html
    directory = client.get("/providers", headers=EN).get_data(as_text=True)
    assert f'data-testid="stars-{provider_id}"' in directory and f"{stars} of 6 stars" in directory
    assert ">3+ stars<" in directory and ">6 stars<" in directory  # the min-stars filter reads as stars
    assert 'data-testid="checked"' not in html  # rated once: computed is when it was checked
    with app.app_context():
        login(db.session.get(User, provider_id))
    own = client.get(f"/providers/{provider_id}", headers=EN).get_data(as_text=True)
    assert "Your figures" in own and "What would raise it" in own  # the provider is told how to rise


def test_next_star_level_names_the_threshold_and_the_gap(app):

    with app.test_request_context(), force_locale("en"):
        assert rating_text.next_level(4, 70.5) == "5 stars need a score of 75 or more: 4.5 more than now."
        assert rating_text.next_level(3, 60) == "4 stars need a score of 65 or more: 5 more than now."
        assert rating_text.next_level(6, 90) == "6 stars is the top level."


def test_new_provider_page_shows_progress_not_a_score(client, track_record, app):
    """Fewer than three completed contracts: no score and no dimension scores (they would be the
    platform mean), but how far it is and what will count."""
    _, provider_id, _ = track_record(2)
    with app.app_context():
        rating_runner.recompute_dirty()
        db.session.commit()
    html = client.get(f"/providers/{provider_id}", headers=EN).get_data(as_text=True)
    assert "New provider — 2 of 3 completed contracts" in html
    assert "Score " not in html and 'data-testid="breakdown"' not in html and "of 6 stars" not in html
    assert 'data-testid="what-counts"' in html and "Operating capability" in html
    assert "Deliveries on time" in html  # what feeds it


def test_rating_trend_is_dated_newest_last_at_most_twelve(client, make_user, app):

    provider = make_user("provider")
    with app.app_context():
        db.session.get(ProviderProfile, provider.id).stars = 4
        for day in range(14):  # 20:00 UTC is 04:00 the next day in Shanghai, the viewer's time zone
            when = datetime(2026, 1, 1 + day, 20, tzinfo=UTC)
            db.session.add(ProviderRating(provider_id=provider.id, computed_at=when, score=60 + day,
                                          stars=3 if day < 10 else 4, service_reviews=70, operating=70,
                                          brand_development=50, growth=50, inputs={"completed_contracts": 3}))
        db.session.commit()
    html = client.get(f"/providers/{provider.id}", headers=EN).get_data(as_text=True)
    trend = html[html.index('data-testid="trend"'):html.index("</ol>", html.index('data-testid="trend"'))]
    assert trend.count("<li>") == 12
    assert "Jan 3, 2026" not in trend and "Jan 4, 2026" in trend and "Jan 15, 2026" in trend
    assert trend.index("Jan 4, 2026") < trend.index("Jan 15, 2026")  # newest last
    assert "73.00 · 4 stars" in trend  # each point: its score and stars


def badge_rows(provider_id, periods):
    for period, category in periods:
        db.session.add(PartnerBadge(provider_id=provider_id, category=category, period=period, level="gold",
                                    score=90))


def test_badges_show_the_current_and_previous_half_year_readably(client, make_user, app):

    assert directory.current_periods(datetime(2026, 3, 1, tzinfo=UTC)) == ("2026H1", "2025H2")
    assert directory.current_periods(datetime(2026, 7, 1, tzinfo=UTC)) == ("2026H2", "2026H1")
    provider = make_user("provider")
    current, previous = directory.current_periods()
    with app.app_context():
        db.session.get(ProviderProfile, provider.id).stars = 5
        badge_rows(provider.id, [(current, "video"), (previous, "design"), ("2019H1", "consulting")])
        db.session.commit()

    def readable(period):
        year, half = period.split("H")
        return f"H{half} {year}"

    page = client.get("/providers", headers=EN).get_data(as_text=True)
    assert f"Gold partner · Video · {readable(current)}" in page
    assert f"Gold partner · Design · {readable(previous)}" in page
    assert "Consulting" not in page.split('class="card provider"')[1]  # 2019: no longer shown
    assert current not in page and previous not in page  # never the raw code
    detail = client.get(f"/providers/{provider.id}", headers=EN).get_data(as_text=True)
    assert f"Video · {readable(current)}" in detail and current not in detail


def test_directory_past_the_last_page_goes_to_the_last_page(client, make_user, app):
    users = [make_user("provider") for _ in range(21)]
    r = client.get("/providers?page=5&verified=", headers=EN)
    assert r.status_code == 302 and "page=2" in r.location and "verified=" in r.location
    html = client.get(r.location, headers=EN).get_data(as_text=True)
    assert "21 providers" in html and "showing 21–21" in html and "No provider matches." not in html
    assert len(users) == 21


def test_directory_city_filter_is_trimmed_either_case_and_ignores_blanks(client, make_user, app):
    hz, sh = make_user("provider"), make_user("provider")
    with app.app_context():
        for user, city in ((hz, "Hangzhou"), (sh, "上海")):
            profiles.update_provider_profile(db.session.get(User, user.id), company_name=f"City{user.id}",
                                             categories=["design"], province=None, city=city, description="",
                                             team_size=None)
        db.session.commit()

    def found(city):
        html = client.get("/providers", query_string={"city": city}, headers=EN).get_data(as_text=True)
        return {user.id for user in (hz, sh) if f"/providers/{user.id}\"" in html}

    assert found("  hangzhou ") == found("HANGZHOU") == {hz.id}
    assert found(" 上海") == {sh.id}
    assert found("   ") == found("") == {hz.id, sh.id}


def test_provider_page_says_when_an_unchanged_rating_was_last_checked(client, track_record, app):
    """The history keeps changes only; the nightly run that found the rating unchanged is still shown."""

    _, provider_id, _ = track_record(3)
    with app.app_context():
        rating_runner.recompute_dirty()
        db.session.commit()
        later = utcnow() + timedelta(hours=1)
        assert ratings_data.recompute_everyone(later).changed == 0  # the nightly run: nothing changed
        db.session.commit()
        assert db.session.query(ProviderRating).filter_by(provider_id=provider_id).count() == 1
    html = client.get(f"/providers/{provider_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-testid="checked"' in html and "Last checked" in html and "unchanged" in html


def brand_of_size(make_user, app, size_tier):
    brand = make_user("brand")
    with app.app_context():
        profiles.update_brand_profile(db.session.get(User, brand.id), store_name="Hanfeng", size_tier=size_tier,
                                      registration_number=None)
        db.session.commit()
    return brand


def provider_rows(app, make_user, specs, category="customer_service"):
    """Providers of `category` from (stars, verification status) pairs."""
    users = [make_user("provider") for _ in specs]
    with app.app_context():
        for user, (stars, status) in zip(users, specs, strict=True):
            row = db.session.get(ProviderProfile, user.id)
            profiles.update_provider_profile(row.user, company_name=f"P{user.id}", categories=[category],
                                             province=None, city=None, description="", team_size=None)
            row.stars, row.rating_score, row.verification_status = stars, 80, status
        db.session.commit()
    return users


def test_brand_sees_recommended_providers_and_invites_them(client, login, make_user, api, app):

    brand = brand_of_size(make_user, app, "large")
    fits, unverified, too_low = provider_rows(app, make_user, [(5, "verified"), (6, "pending"), (3, "verified")])
    tid = api(brand).post("/tenders", json=tender_payload()).json["id"]
    login(brand)
    html = client.get(f"/tenders/{tid}", headers=EN).get_data(as_text=True)
    assert f'data-testid="recommended-{fits.id}"' in html and "5 of 6 stars" in html
    assert "suggest for your brand's size: 4 stars, 5 stars, and 6 stars." in html  # the levels, truthfully
    assert f'data-testid="recommended-{unverified.id}"' not in html  # not verified
    assert f'data-testid="recommended-{too_low.id}"' not in html  # 3 stars: below a large brand's level
    form_post(client, f"/tenders/{tid}/invitations", {"provider_ids": [str(fits.id)]}, page=f"/tenders/{tid}")
    html = client.get(f"/tenders/{tid}", headers=EN).get_data(as_text=True)
    assert f'data-testid="recommended-{fits.id}"' not in html and "those you invited are not listed again" in html


def test_the_api_recommends_what_the_tender_page_does_and_only_to_its_brand(make_user, api, app):

    brand = brand_of_size(make_user, app, "large")
    fits, unverified, too_low = provider_rows(app, make_user, [(5, "verified"), (6, "pending"), (3, "verified")])
    caller = api(brand)
    tid = caller.post("/tenders", json=tender_payload()).json["id"]
    found = caller.get(f"/tenders/{tid}/recommended-providers").json
    assert found["star_levels"] == [4, 5, 6] and [p["id"] for p in found["items"]] == [fits.id]
    assert caller.post(f"/tenders/{tid}/invitations", json={"provider_ids": [fits.id]}).status_code == 201
    assert caller.get(f"/tenders/{tid}/recommended-providers").json["items"] == []  # invited already
    assert api(make_user("brand")).get(f"/tenders/{tid}/recommended-providers").status_code == 403
    assert api(fits).get(f"/tenders/{tid}/recommended-providers").status_code == 403  # brands only
    assert caller.post(f"/tenders/{tid}/close").status_code == 200
    assert api(make_user("brand")).get(f"/tenders/{tid}/recommended-providers").status_code == 403  # closed too


def test_recommendations_do_not_tell_who_bid_while_the_opening_is_sealed(make_user, api, app):

    brand = brand_of_size(make_user, app, "large")
    [fits] = provider_rows(app, make_user, [(5, "verified")])
    caller = api(brand)
    tid = caller.post("/tenders", json=tender_payload(sealed_opening=True)).json["id"]
    assert api(fits).post(f"/tenders/{tid}/bids", json=bid_payload()).status_code == 201
    assert [p["id"] for p in caller.get(f"/tenders/{tid}/recommended-providers").json["items"]] == [fits.id]


def test_recommendations_for_a_small_brand_say_they_include_new_providers(client, login, make_user, api, app):

    brand = brand_of_size(make_user, app, "small")
    [new] = provider_rows(app, make_user, [(None, "verified")])
    tid = api(brand).post("/tenders", json=tender_payload()).json["id"]
    login(brand)
    html = client.get(f"/tenders/{tid}", headers=EN).get_data(as_text=True)
    assert f'data-testid="recommended-{new.id}"' in html and "New provider" in html
    assert "new providers, 3 stars, and 4 stars" in html and "star levels suited to your size" not in html


def test_no_recommendation_shows_an_empty_state_linking_to_the_directory(client, login, make_user, api, app):

    brand = brand_of_size(make_user, app, "flagship")
    provider_rows(app, make_user, [(4, "verified")])  # below a flagship's 5–6
    tid = api(brand).post("/tenders", json=tender_payload(category="design")).json["id"]
    login(brand)
    html = client.get(f"/tenders/{tid}", headers=EN).get_data(as_text=True)
    assert 'id="recommended"' in html and 'data-testid="recommended-none"' in html
    assert 'href="/providers?category=design"' in html and "Browse every provider in Design" in html


def test_a_recommended_provider_beyond_the_invite_lists_first_200_can_be_invited(client, login, make_user, api, app):
    """The manual list shows 200 providers, verified first, by name; a recommended one may come later."""
    brand = brand_of_size(make_user, app, "large")
    with app.app_context():
        for n in range(201):  # verified, unrated, named before any "P…"
            user = User(email=f"a{n}@example.com", password_hash="x", role="provider", display_name=f"A{n}")
            db.session.add(user)
            db.session.flush()
            db.session.add(ProviderProfile(user_id=user.id, company_name=f"A{n:03}", verification_status="verified"))
            db.session.add(ProviderCategory(provider_id=user.id, category="customer_service"))
        db.session.commit()
    [star] = provider_rows(app, make_user, [(5, "verified")])
    [elsewhere] = provider_rows(app, make_user, [(5, "verified")], category="design")
    tid = api(brand).post("/tenders", json=tender_payload()).json["id"]
    login(brand)
    assert f'data-testid="recommended-{star.id}"' in client.get(f"/tenders/{tid}").get_data(as_text=True)
    form_post(client, f"/tenders/{tid}/invitations", {"provider_ids": [str(star.id)]}, page=f"/tenders/{tid}")
    form_post(client, f"/tenders/{tid}/invitations", {"provider_ids": [str(elsewhere.id)]}, page=f"/tenders/{tid}")
    for odd in ("x", "99999999999999999999"):  # no id at all: refused as input, never looked up
        r = form_post(client, f"/tenders/{tid}/invitations", {"provider_ids": [odd]}, page=f"/tenders/{tid}")
        assert r.status_code == 302
    with app.app_context():  # the recommended one is invited; one outside the category is not
        assert set(db.session.scalars(db.select(TenderInvitation.provider_id))) == {star.id}
