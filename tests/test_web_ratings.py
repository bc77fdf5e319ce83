"""Reviews, the directory, "why you have N stars" and recommendations in the pages."""
from extensions import db
from models import ProviderProfile, User
from services import rating_jobs
from tests.conftest import form_post
from tests.test_web_bids import switch

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
    assert 'data-testid="review-brand"' in client.get(page).get_data(as_text=True)  # its author sees it
    switch(client, as_user(provider_email))
    html = client.get(page).get_data(as_text=True)
    assert "Sharp photos" not in html  # blind until the provider reviews too
    form_post(client, f"/reviews/contract/{contract}", {**GOOD, "comment": "Clear brief."}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Sharp photos" in html and "Clear brief." in html
    assert "Submit review" not in html  # once only


def test_provider_page_explains_the_stars(client, track_record, app):
    _, provider_id, deals = track_record(3, brands=3)
    for brand, contract in deals:
        brand.post(f"/contracts/{contract}/reviews", json={"scores": {"quality": 5, "communication": 5,
                                                                      "timeliness": 5, "professionalism": 5}})
    with app.app_context():
        rating_jobs.recompute_dirty()
        stars = db.session.get(ProviderProfile, provider_id).stars
    html = client.get(f"/providers/{provider_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert stars is not None and f"{stars} stars" in html
    assert 'data-testid="breakdown"' in html and "What would raise it" in html and "Operating capability" in html
    directory = client.get("/providers", headers={"Accept-Language": "en"})
    assert f'data-testid="stars-{provider_id}"' in directory.get_data(as_text=True)
    assert 'data-testid="checked"' not in html  # rated once: computed is when it was checked


def test_provider_page_says_when_an_unchanged_rating_was_last_checked(client, track_record, app):
    """The history keeps changes only; the nightly run that found the rating unchanged is still shown."""
    from datetime import timedelta

    from models import ProviderRating
    from models.types import utcnow
    from services import ratings_data

    _, provider_id, _ = track_record(3)
    with app.app_context():
        rating_jobs.recompute_dirty()
        db.session.commit()
        later = utcnow() + timedelta(hours=1)
        assert ratings_data.recompute_everyone(later).changed == 0  # the nightly run: nothing changed
        db.session.commit()
        assert db.session.query(ProviderRating).filter_by(provider_id=provider_id).count() == 1
    html = client.get(f"/providers/{provider_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-testid="checked"' in html and "Last checked" in html and "unchanged" in html


def test_brand_sees_recommended_providers_and_invites_them(client, login, make_user, api, app):
    from services import profiles
    from tests.factories import tender_payload

    brand = make_user("brand")
    fits, unverified, too_low = make_user("provider"), make_user("provider"), make_user("provider")
    with app.app_context():
        profiles.update_brand_profile(db.session.get(User, brand.id), store_name="Hanfeng", size_tier="large",
                                      registration_number=None)
        for user, stars, status in ((fits, 5, "verified"), (unverified, 6, "pending"), (too_low, 3, "verified")):
            row = db.session.get(ProviderProfile, user.id)
            profiles.update_provider_profile(row.user, company_name=f"P{user.id}", categories=["customer_service"],
                                             province=None, city=None, description="", team_size=None)
            row.stars, row.rating_score, row.verification_status = stars, 80, status
        db.session.commit()
    tid = api(brand).post("/tenders", json=tender_payload()).json["id"]
    login(brand)
    html = client.get(f"/tenders/{tid}").get_data(as_text=True)
    assert f'data-testid="recommended-{fits.id}"' in html
    assert f'data-testid="recommended-{unverified.id}"' not in html  # not verified
    assert f'data-testid="recommended-{too_low.id}"' not in html  # 3 stars: below a large brand's level
    form_post(client, f"/tenders/{tid}/invitations", {"provider_ids": [str(fits.id)]}, page=f"/tenders/{tid}")
    assert f'data-testid="recommended-{fits.id}"' not in client.get(f"/tenders/{tid}").get_data(as_text=True)
