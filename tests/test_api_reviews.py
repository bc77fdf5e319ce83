"""Reviews: once per party, only after money moved, double-blind, replies, reports, hiding."""
from datetime import UTC, datetime, timedelta

import time_machine

from extensions import db
from models import BrandProfile, Review
from services import reviews
from services.registration_numbers import complete
from tests.support.web import apply_for_verification

SCORES = {"quality": 5, "communication": 4, "timeliness": 4, "professionalism": 5}


def test_review_needs_a_released_milestone(deal):
    d = deal()
    r = d.brand.post(f"/contracts/{d.contract_id}/reviews", json={"scores": SCORES, "comment": "early"})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_reviewable"


def test_double_blind_until_both_are_in(track_record, api, make_user):
    provider, _, [(brand, contract)] = track_record(1)
    r = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Fast and careful."})
    assert r.status_code == 201
    assert brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES}).status_code == 409  # once
    assert [x["author_role"] for x in brand.get(f"/contracts/{contract}/reviews").json["items"]] == ["brand"]
    assert provider.get(f"/contracts/{contract}/reviews").json["items"] == []  # blind
    assert api(make_user("brand")).get(f"/contracts/{contract}/reviews").status_code == 404
    r = provider.post(f"/contracts/{contract}/reviews",
                      json={"scores": {**SCORES, "timeliness": 3}, "comment": "Clear brief, paid on time."})
    assert r.status_code == 201
    for side in (brand, provider):
        assert sorted(x["author_role"] for x in side.get(f"/contracts/{contract}/reviews").json["items"]) == [
            "brand", "provider"]


def test_window_closing_publishes_a_lone_review(track_record):
    provider, _, [(brand, contract)] = track_record(1)
    brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Good."})
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False):
        assert [x["author_role"] for x in provider.get(f"/contracts/{contract}/reviews").json["items"]] == ["brand"]
        late = provider.post(f"/contracts/{contract}/reviews", json={"scores": SCORES})
        assert late.status_code == 409 and late.json["error"]["code"] == "review_window_closed"


def test_invalid_scores(track_record):
    _, _, [(brand, contract)] = track_record(1)
    assert brand.post(f"/contracts/{contract}/reviews",
                      json={"scores": {**SCORES, "quality": 6}}).status_code == 422
    assert brand.post(f"/contracts/{contract}/reviews",
                      json={"scores": {**SCORES, "quality": 4.5}}).status_code == 400
    assert brand.post(f"/contracts/{contract}/reviews", json={"scores": {"quality": 5}}).status_code == 422


def test_same_company_is_judged_by_verified_numbers_only(track_record, api, make_user, app):
    """A number a party only claims (a provider's pending application, a brand's declared number) blocks
    nothing: claiming the other side's number must not silence it. Numbers staff verified on both sides do."""
    provider, provider_id, [(brand_a, claimed), (brand_b, verified)] = track_record(2, brands=2)
    numbers = complete("91330100MA2999999"), complete("91330100MA2888888")
    with app.app_context():
        for caller, number in zip((brand_a, brand_b), numbers, strict=True):
            db.session.get(BrandProfile, caller.get("/me").json["id"]).registration_number = number
        db.session.commit()
    apply_for_verification(provider, numbers[0])
    assert brand_a.post(f"/contracts/{claimed}/reviews", json={"scores": SCORES}).status_code == 201
    staff = api(make_user("admin"))  # the provider applies with the other number, and staff verify that one
    apply_for_verification(provider, numbers[1])
    assert staff.post(f"/admin/providers/{provider_id}/verify", json={"checked_number": numbers[1]}).status_code == 200
    # brand B only declared the provider's verified number: both still review (issue 18: the dodge)
    assert provider.post(f"/contracts/{verified}/reviews", json={"scores": SCORES}).status_code == 201
    assert brand_b.post(f"/contracts/{verified}/reviews", json={"scores": SCORES}).status_code == 201


def test_a_brand_and_provider_verified_as_one_company_cannot_review_each_other(track_record, api, make_user):
    provider, provider_id, [(brand, contract)] = track_record(1)
    brand_id, staff, number = brand.get("/me").json["id"], api(make_user("admin")), complete("91330100MA2777777")
    apply_for_verification(provider, number)
    apply_for_verification(brand, number)  # one company on both sides of the market: allowed, and verified
    assert staff.post(f"/admin/providers/{provider_id}/verify", json={"checked_number": number}).status_code == 200
    assert staff.post(f"/admin/brands/{brand_id}/verify", json={"checked_number": number}).status_code == 200
    for side in (brand, provider):
        r = side.post(f"/contracts/{contract}/reviews", json={"scores": SCORES})
        assert r.status_code == 403 and r.json["error"]["code"] == "same_company"


def test_reply_report_and_hide(track_record, api, make_user):
    provider, provider_id, [(brand, contract)] = track_record(1)
    review = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Rude!!"}).json["id"]
    assert provider.post(f"/reviews/{review}/reply", json={"reply": "Sorry"}).status_code == 409  # not public yet
    provider.post(f"/contracts/{contract}/reviews", json={"scores": SCORES})
    assert provider.post(f"/reviews/{review}/reply", json={"reply": "Thank you for the feedback."}).status_code == 200
    assert provider.post(f"/reviews/{review}/reply", json={"reply": "Again"}).status_code == 409
    assert provider.post(f"/reviews/{review}/reports", json={"reason": "Insulting language"}).status_code == 201
    staff = api(make_user("admin"))
    assert brand.post(f"/admin/reviews/{review}/hide", json={"reason": "x"}).status_code == 403
    r = staff.post(f"/admin/reviews/{review}/hide", json={"reason": "Abusive wording"})
    assert r.status_code == 200 and r.json["hidden"] is True
    assert [x["author_role"] for x in provider.get(f"/contracts/{contract}/reviews").json["items"]] == ["provider"]
    assert staff.post(f"/admin/reviews/{review}/hide", json={"reason": "again"}).status_code == 409


def test_a_review_written_before_the_contract_ends_waits_for_the_window(deal):
    """The window opens when the contract ends, not when the review is written."""
    d = deal(amounts=(100000_00, 100000_00))
    d.deposit(200000_00)
    d.fund(0), d.deliver(0), d.accept(0)  # money moved: reviews open, the contract still runs
    reviews = f"/contracts/{d.contract_id}/reviews"
    assert d.brand.post(reviews, json={"scores": SCORES, "comment": "So far, so good."}).status_code == 201
    with time_machine.travel(datetime.now(UTC) + timedelta(days=20), tick=False):
        assert d.provider.get(reviews).json["items"] == []  # no window yet
    d.fund(1), d.deliver(1), d.accept(1)  # the contract ends: its 14 days start now
    assert d.provider.get(reviews).json["items"] == []
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False):
        assert [x["author_role"] for x in d.provider.get(reviews).json["items"]] == ["brand"]


def test_the_public_list_shows_published_reviews_only(track_record, app):
    provider, provider_id, [(brand_a, lone), (brand_b, both)] = track_record(2, brands=2)
    brand_a.post(f"/contracts/{lone}/reviews", json={"scores": SCORES, "comment": "Alone for now."})
    brand_b.post(f"/contracts/{both}/reviews", json={"scores": SCORES, "comment": "Both in."})
    provider.post(f"/contracts/{both}/reviews", json={"scores": SCORES})
    with app.app_context():
        assert [r.comment for r in reviews.public_reviews_of(provider_id)] == ["Both in."]
        pair = db.session.scalars(db.select(Review).where(Review.contract_id == both)).all()
        assert len({r.visible_from for r in pair}) == 1  # public together, from the second review on
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False), app.app_context():
        assert sorted(r.comment for r in reviews.public_reviews_of(provider_id)) == ["Alone for now.", "Both in."]
