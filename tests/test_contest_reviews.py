"""Reviews of contest prizes: once the handover is confirmed, the contest's brand reviews each winner
and the winner the brand — once each, double-blind like a contract's reviews; the brand's review shows
on the winner's public page as a contest review, takes one public reply, can be hidden by staff; and a
won contest counts in the provider's rating as completed work, the same by both rating paths."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from extensions import db
from models import ContestAward, ContestEntry, Milestone, ProviderProfile, Review, StaffAction, User
from models.types import utcnow
from services import directory, ratings, ratings_data
from tests.support.contests import image_part
from tests.support.web import csrf_token, form_post
from workers import jobs

EN = {"Accept-Language": "en"}
TOP = {"quality": 5, "communication": 5, "timeliness": 5, "professionalism": 5}
GOOD = {"quality": 4, "communication": 5, "timeliness": 4, "professionalism": 5}


@pytest.fixture
def won(contest_race):
    """won(confirm=True) → (race, award id, the award's API path): provider 0 (or `winner`, an (Api, id)
    pair) won the only prize of a two-entry contest, handed over, and (unless confirm=False) the brand
    confirmed."""

    def build(*, confirm: bool = True, deliver: bool = True, winner=None):
        race = contest_race(1 if winner else 2, prizes=[80000])
        if winner:
            race.providers.insert(0, winner[0])
            race.provider_ids.insert(0, winner[1])
        winner, _loser = race.enter(0), race.enter(1, colour=(10, 10, 200))
        race.close_entries()
        assert race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [winner]}).status_code == 200
        award_id = race.brand.get(f"/contests/{race.contest_id}").json["awards"][0]["id"]
        base = f"/contests/{race.contest_id}/awards/{award_id}"
        if deliver:
            r = race.providers[0].post(f"{base}/handover", content_type="multipart/form-data",
                                       data={"file": image_part(name="logo-source.png")})
            assert r.status_code == 200, r.json
        if deliver and confirm:
            assert race.brand.post(f"{base}/confirm").status_code == 200
        return race, award_id, base

    return build


def test_reviews_open_once_the_handover_is_confirmed_with_a_clear_error_before(won):
    race, _award, base = won(deliver=False)
    for state in ("pending", "delivered"):
        if state == "delivered":
            race.providers[0].post(f"{base}/handover", content_type="multipart/form-data", data={"file": image_part()})
        for side in (race.brand, race.providers[0]):
            r = side.post(f"{base}/review", json={"scores": TOP}, headers=EN)
            assert r.status_code == 409, (state, r.json)
            assert r.json["error"]["code"] == "not_reviewable"
            assert r.json["error"]["message"] == "Reviews of a contest prize open once its handover is confirmed."
    assert race.brand.post(f"{base}/confirm").status_code == 200
    r = race.brand.post(f"{base}/review", json={"scores": TOP, "comment": "Exactly the mark we wanted."})
    assert r.status_code == 201, r.json
    assert r.json["contest_award_id"] == _award and r.json["contest_id"] == race.contest_id
    assert r.json["contract_id"] is None and r.json["author_role"] == "brand"


def test_an_auto_confirmed_handover_opens_the_reviews_too(won, app):
    race, award_id, base = won(confirm=False)
    with app.app_context():
        db.session.get(ContestAward, award_id).handover_delivered_at = utcnow() - timedelta(days=8)
        db.session.commit()
        assert jobs.award_due_contests()["handovers_confirmed"] == 1
    assert race.brand.post(f"{base}/review", json={"scores": TOP}).status_code == 201


def test_once_each_double_blind_and_someone_else_is_404(won, api, make_user):
    race, _award, base = won()
    brand, winner, loser = race.brand, race.providers[0], race.providers[1]
    assert brand.post(f"{base}/review", json={"scores": TOP, "comment": "Great"}).status_code == 201
    again = brand.post(f"{base}/review", json={"scores": GOOD})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reviewed"
    # another brand, the entrant who did not win, a stranger: the prize does not exist for them
    for outsider in (api(make_user("brand")), loser, api(make_user("provider"))):
        assert outsider.post(f"{base}/review", json={"scores": TOP}).status_code == 404
        assert outsider.get(f"{base}/reviews").status_code == 404
    # an award of another contest under this contest's path: 404 too
    other, other_award, _ = won()
    assert other.brand.post(f"/contests/{race.contest_id}/awards/{other_award}/review",
                            json={"scores": TOP}).status_code == 404
    assert brand.post(f"{base}/review", json={"scores": {**TOP, "quality": 6}}).status_code == 422
    # double-blind: the winner sees nothing of the brand's review until it has written its own
    assert [x["author_role"] for x in brand.get(f"{base}/reviews").json["items"]] == ["brand"]
    assert winner.get(f"{base}/reviews").json["items"] == []
    r = winner.post(f"{base}/review", json={"scores": GOOD, "comment": "Clear brief, fair judging."})
    assert r.status_code == 201 and r.json["author_role"] == "provider"
    assert winner.post(f"{base}/review", json={"scores": GOOD}).status_code == 409
    for side in (brand, winner):
        assert sorted(x["author_role"] for x in side.get(f"{base}/reviews").json["items"]) == ["brand", "provider"]


def test_a_lone_review_comes_out_when_the_window_closes(won):
    race, _award, base = won()
    race.brand.post(f"{base}/review", json={"scores": TOP})
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15), tick=False):
        assert [x["author_role"] for x in race.providers[0].get(f"{base}/reviews").json["items"]] == ["brand"]
        late = race.providers[0].post(f"{base}/review", json={"scores": TOP})
        assert late.status_code == 409 and late.json["error"]["code"] == "review_window_closed"


def test_the_brands_review_is_on_the_winners_page_labelled_with_the_contest_and_takes_one_reply(
        won, client, app, api, make_user):
    race, _award, base = won()
    review_id = race.brand.post(f"{base}/review", json={"scores": TOP, "comment": "A mark we love"}).json["id"]
    winner_id = race.provider_ids[0]
    page = client.get(f"/providers/{winner_id}", headers=EN).get_data(as_text=True)
    assert "A mark we love" not in page  # blind until the winner has reviewed too
    race.providers[0].post(f"{base}/review", json={"scores": GOOD, "comment": "Fair and quick"})
    page = client.get(f"/providers/{winner_id}", headers=EN).get_data(as_text=True)
    assert "A mark we love" in page and "Contest: Logo for a tea shop" in page
    assert f'href="/contests/{race.contest_id}"' in page
    brand_page = client.get(f"/brands/{race.brand_id}", headers=EN).get_data(as_text=True)
    assert "Fair and quick" in brand_page and "Contest: Logo for a tea shop" in brand_page
    # the winner's one public reply, through the reviews' reply operation
    assert race.providers[1].post(f"/reviews/{review_id}/reply", json={"reply": "Not mine"}).status_code == 404
    r = race.providers[0].post(f"/reviews/{review_id}/reply", json={"reply": "Thank you!"})
    assert r.status_code == 200 and r.json["reply"] == "Thank you!"
    assert race.providers[0].post(f"/reviews/{review_id}/reply", json={"reply": "Again"}).status_code == 409
    assert "Thank you!" in client.get(f"/providers/{winner_id}", headers=EN).get_data(as_text=True)
    # staff hide it like any review: gone from the page, recorded with the contest it was about
    staff = api(make_user("admin"))
    assert staff.post(f"/admin/reviews/{review_id}/hide", json={"reason": "Personal details"}).status_code == 200
    assert "A mark we love" not in client.get(f"/providers/{winner_id}", headers=EN).get_data(as_text=True)
    with app.app_context():
        action = db.session.scalar(select(StaffAction).where(StaffAction.action == "review.hide"))
        assert action.after["contest_id"] == race.contest_id and action.subject_id == review_id


def test_reported_contest_review_is_in_the_staff_queue_with_its_contest(won, client, login, api, make_user):
    race, _award, base = won()
    review_id = race.brand.post(f"{base}/review", json={"scores": TOP, "comment": "Fine"}).json["id"]
    race.providers[0].post(f"{base}/review", json={"scores": GOOD})
    assert api(make_user("brand")).post(f"/reviews/{review_id}/reports",
                                        json={"reason": "Not a real review"}).status_code == 201
    login(make_user("admin"))
    page = client.get("/reviews/reports", headers=EN).get_data(as_text=True)
    assert f"/contests/{race.contest_id}#review-{review_id}" in page and "Contest: Logo for a tea shop" in page


def test_the_contest_page_holds_the_review_form_and_the_reply(won, client, login, app):
    race, award_id, base = won(confirm=False)
    with app.app_context():
        brand = db.session.get(User, race.brand_id)
        winner = db.session.get(User, race.provider_ids[0])
    login(brand)
    page = client.get(f"/contests/{race.contest_id}", headers=EN).get_data(as_text=True)
    assert "Reviews of a contest prize open once its handover is confirmed." in page
    assert 'data-testid="contest-review-form"' not in page
    race.brand.post(f"{base}/confirm")
    path = f"/contests/{race.contest_id}"
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert 'data-testid="contest-review-form"' in page and "Review the winner" in page
    r = form_post(client, f"/contests/{race.contest_id}/awards/{award_id}/review",
                  {**{k: str(v) for k, v in TOP.items()}, "comment": "Sent from the page"}, page=path,
                  headers=EN)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#award-{award_id}-reviews")
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert "Sent from the page" in page and 'data-testid="contest-review-form"' not in page
    assert 'data-testid="review-pending"' in page
    with app.app_context():
        review = db.session.scalar(select(Review).where(Review.contest_award_id == award_id))
        assert (review.author_id, review.subject_id, review.contract_id) == (race.brand_id, winner.id, None)
    # the winner: its own form ("Review the brand"), then, both reviews out, the reply under the brand's
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(winner)
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert "Review the brand" in page and "Sent from the page" not in page
    form_post(client, f"/contests/{race.contest_id}/awards/{award_id}/review",
              {**{k: str(v) for k, v in GOOD.items()}, "comment": "Good brief"}, page=path)
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert "Sent from the page" in page and "Reply publicly" in page
    r = form_post(client, f"/reviews/{review.id}/reply", {"reply": "Thanks a lot"}, page=path)
    assert r.status_code == 302 and f"/contests/{race.contest_id}#review-{review.id}" in r.headers["Location"]
    assert "Thanks a lot" in client.get(path, headers=EN).get_data(as_text=True)


# --- ratings ------------------------------------------------------------------------------------------

def _both_paths(app, provider_id: int, now) -> tuple[ratings.RatingInputs, ratings.Rating]:
    """The provider's inputs and rating by the one-provider path, after checking the nightly run (every
    provider, in SQL) stores exactly that rating."""
    with app.app_context():
        inputs = ratings_data.gather(now, [provider_id])[provider_id]
        mean = ratings_data.mean_of(ratings_data.gather(now, None))
        want = ratings.rate(inputs, mean)
        ratings_data.recompute_everyone(now)
        row = directory.latest_ratings([provider_id]).get(provider_id)
        got = (float(row.score), row.stars, *(float(getattr(row, name)) for name in want.dimensions)) if row \
            else (float(db.session.get(ProviderProfile, provider_id).rating_score or 0), None)
        if row is not None:
            assert got == (want.score, want.stars, *want.dimensions.values())
            assert row.input_counts == ratings_data.counts_key(inputs)
        db.session.commit()
    return inputs, want


def test_a_won_contest_and_its_review_raise_the_rating_by_both_paths(won, app):
    race, _award, base = won(confirm=False)
    winner = race.provider_ids[0]
    with app.app_context():
        prize = db.session.scalar(select(ContestAward).join(ContestEntry).where(ContestEntry.provider_id == winner))
        amount = prize.amount
        # "without it": a provider with nothing at all (the same formula, the same moment)
        before = ratings.rate(ratings.RatingInputs(), ratings_data.platform_mean(utcnow()))
    race.brand.post(f"{base}/confirm")
    race.brand.post(f"{base}/review", json={"scores": TOP, "comment": "Superb"})
    race.providers[0].post(f"{base}/review", json={"scores": GOOD})  # both in: published
    inputs, after = _both_paths(app, winner, utcnow())
    # counted as completed, settled, on-time work with the contest's brand, the prize in the volume
    assert (inputs.settled_milestones, inputs.on_time_milestones, inputs.overdue_milestones) == (1, 1, 0)
    assert (inputs.completed_contracts, inputs.brands_12m, inputs.new_brands_recent) == (1, 1, 1)
    assert (inputs.volume_recent, inputs.volume_previous, inputs.review_count) == (amount, 0, 1)
    # weighed by the prize as a contract's review is by the contract (just written: no decay yet)
    assert inputs.review_weight == pytest.approx(ratings.review_weight(0, amount), rel=1e-6)
    assert after.score > before.score
    assert after.dimensions["service_reviews"] > before.dimensions["service_reviews"]
    assert after.dimensions["brand_development"] > before.dimensions["brand_development"]
    assert after.dimensions["growth"] > before.dimensions["growth"]
    assert after.parts["operating"]["on_time_rate"] == 1.0


def test_a_won_contest_lifts_operating_capability_against_overdue_work(won, deal, app):
    """A provider with funded work overdue: completion counts it; a prize is settled work beside it."""
    d = deal(amounts=(50000,))
    provider_id = d.provider.get("/me").json["id"]
    d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 50000, "currency": "CNY",
                                          "reference": "BANK-OVERDUE-1"})
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/fund").status_code == 200
    with app.app_context():
        db.session.get(Milestone, d.milestone_ids[0]).due_at = utcnow() - timedelta(days=2)
        db.session.commit()
    inputs, before = _both_paths(app, provider_id, utcnow())
    assert (inputs.overdue_milestones, inputs.settled_milestones) == (1, 0)

    race, _award, _base = won(winner=(d.provider, provider_id))
    inputs, after = _both_paths(app, provider_id, utcnow())
    assert (inputs.overdue_milestones, inputs.settled_milestones) == (1, 1)
    assert after.dimensions["operating"] > before.dimensions["operating"]
    assert after.score > before.score
    assert race.contest_id

