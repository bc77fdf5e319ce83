"""Ratings computed by workers: a real RQ worker process, de-duplicated recompute jobs, the
directory best first, badges, and what a provider sees about its stars."""
import logging
import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq.job import Job
from sqlalchemy import delete, func, select, update

from extensions import db, get_redis
from models import (
    Bid,
    Contract,
    PartnerBadge,
    ProviderCategory,
    ProviderProfile,
    ProviderRating,
    RatingMark,
    Review,
    Tender,
    User,
)
from models.review import RatingRun
from models.types import utcnow
from services import directory, profiles, rating_jobs, ratings, ratings_data
from services.ratings import RatingInputs
from services.runners import ratings as rating_runner
from services.tasks import queue
from tests.support.worker_processes import run_worker_burst
from workers import jobs

GOOD = {"quality": 5, "communication": 5, "timeliness": 4, "professionalism": 5}


def ratings_of(app, provider_id) -> list[ProviderRating]:
    with app.app_context():
        rows = db.session.scalars(select(ProviderRating).where(ProviderRating.provider_id == provider_id)
                                  .order_by(ProviderRating.id)).all()
        db.session.expunge_all()
        return rows


@pytest.mark.worker
def test_a_real_worker_recomputes_after_reviews_posted_through_the_api(track_record, app, api):
    provider, provider_id, deals = track_record(3, brands=2)
    for brand, contract in deals:
        review = brand.post(f"/contracts/{contract}/reviews", json={"scores": GOOD, "comment": "Great"})
        assert review.status_code == 201
        assert provider.post(f"/contracts/{contract}/reviews", json={"scores": GOOD}).status_code == 201
    with app.app_context():
        queued = [job.func_name for job in queue("default").get_jobs()]
        # every release and review above: one rating job (the awards' contract documents wait beside it)
        assert queued.count("workers.jobs.recompute_dirty_ratings") == 1, queued
    run_worker_burst()
    rows = ratings_of(app, provider_id)
    assert len(rows) == 1
    latest = rows[-1]
    assert latest.stars == 6 and latest.inputs["completed_contracts"] == 3
    assert latest.inputs["review_count"] == 3
    public = api().get(f"/providers/{provider_id}").json
    assert public["stars"] == latest.stars and public["score"] == float(latest.score)
    assert set(public["score_breakdown"]) == {"service_reviews", "operating", "brand_development", "growth"}
    assert public["review_count"] == 3 and public["completed_contracts"] == 3


@pytest.mark.worker
def test_a_burst_of_twenty_events_gives_one_job(track_record, app):
    _, provider_id, _ = track_record(1)
    with app.app_context():
        queue("default").empty()
        get_redis().delete(rating_jobs.NUDGED)
        for _ in range(20):
            rating_jobs.request_recompute(provider_id)
            db.session.execute(select(1))
            db.session.commit()
        assert queue("default").count == 1
    run_worker_burst()
    assert len(ratings_of(app, provider_id)) == 1
    assert marks_left(app) == []


def marks_left(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(RatingMark.provider_id)))


def test_rating_marks_survive_redis_losing_its_data_between_commit_and_sweep(track_record, app):
    """The marks are rows written with the events: Redis emptied (restarted without persistence) after the
    commit loses the queued job, not the work; the periodic sweep rates the provider."""
    _, provider_id, _ = track_record(1)
    with app.app_context():
        get_redis().flushdb()  # this process's database: FLUSHALL on a shared Redis empties other workers' too
        assert queue("default").count == 0
        assert jobs.recompute_dirty_ratings() >= 1  # the sweep
    assert len(ratings_of(app, provider_id)) == 1
    assert marks_left(app) == []


def test_a_mark_made_while_redis_is_down_is_rated_by_the_sweep(track_record, app, redis_down):
    provider, provider_id, [(brand, contract)] = track_record(1)
    with app.app_context():
        db.session.execute(delete(RatingMark))
        db.session.commit()
    with redis_down():
        r = provider.post(f"/contracts/{contract}/reviews", json={"scores": GOOD, "comment": "A fair brand"})
        assert r.status_code == 201, r.json
        r = brand.post(f"/contracts/{contract}/reviews", json={"scores": GOOD, "comment": "Great"})
        assert r.status_code == 201, r.json
    assert set(marks_left(app)) == {provider_id}  # written with the reviews
    with app.app_context():
        assert jobs.recompute_dirty_ratings() >= 1  # the sweep, once Redis is back
    assert ratings_of(app, provider_id)[-1].inputs["review_count"] == 1
    assert marks_left(app) == []


def test_a_batch_whose_runner_dies_before_committing_is_recomputed_by_the_next(track_record, app, monkeypatch):
    """A worker killed mid-batch (here: dying inside the recompute, after taking the marks) loses no mark:
    they stay, held by the dead run for LEASE, then the next run takes them up and rates them."""
    _, provider_id, _ = track_record(1)
    real = ratings_data.recompute

    def dies(*args):
        raise SystemExit("killed")

    with app.app_context():
        monkeypatch.setattr(ratings_data, "recompute", dies)
        with pytest.raises(SystemExit):
            rating_runner.recompute_dirty()
        db.session.rollback()
        monkeypatch.setattr(ratings_data, "recompute", real)
    assert marks_left(app) == [provider_id]  # nothing lost…
    with app.app_context():
        assert rating_runner.recompute_dirty() == 0  # …and nobody else takes them while the lease holds
        with time_machine.travel(utcnow() + rating_runner.LEASE + timedelta(seconds=1)):
            assert rating_runner.recompute_dirty() >= 1
    assert len(ratings_of(app, provider_id)) == 1
    assert marks_left(app) == []


def test_a_provider_that_keeps_failing_is_left_to_the_nightly_run_and_the_others_are_rated(
        track_record, app, monkeypatch, caplog):
    """A provider whose recompute always fails cannot hold up the event path: the others in its batch are
    rated in the same run, and it is set aside (logged) once MAX_ATTEMPTS runs have taken it up."""
    _, poison, _ = track_record(1)
    _, healthy, _ = track_record(1)
    real = ratings_data.recompute

    def fails_for_one(ids, now):
        if poison in ids:
            raise RuntimeError("a bad row")
        return real(ids, now)

    monkeypatch.setattr(ratings_data, "recompute", fails_for_one)
    with app.app_context():
        rating_runner.recompute_dirty()
        assert len(ratings_of(app, healthy)) == 1  # rated in the run that failed for the other
        assert marks_left(app) == [poison]
        now = utcnow()
        for run in range(1, rating_jobs.MAX_ATTEMPTS + 1):
            with time_machine.travel(now + run * (rating_runner.LEASE + timedelta(seconds=1))), \
                    caplog.at_level(logging.ERROR):
                rating_runner.recompute_dirty()
        assert f"ratings of providers [{poison}] failed {rating_jobs.MAX_ATTEMPTS} times" in caplog.text
    assert marks_left(app) == []  # set aside: the nightly run rates it with everyone
    assert ratings_of(app, poison) == []


def test_new_provider_has_no_stars_but_a_score(track_record, app, api):
    _, provider_id, _ = track_record(2)
    with app.app_context():
        assert rating_runner.recompute_dirty() >= 1
    public = api().get(f"/providers/{provider_id}").json
    assert public["stars"] is None and public["score"] is not None  # never a made-up star level
    assert public["completed_contracts"] == 2


def test_directory_best_first_and_filters(app, api, make_user):
    users = [make_user("provider") for _ in range(4)]
    with app.app_context():
        for user, (stars, score, province) in zip(users, [(None, None, "zhejiang"), (5, 80, "guangdong"),
                                                          (6, 90, "zhejiang"), (4, 70, "zhejiang")], strict=True):
            row = db.session.get(ProviderProfile, user.id)
            profiles.update_provider_profile(row.user, company_name=f"P{user.id}", categories=["design"],
                                             province=province, city=None, description="", team_size=None)
            row.stars, row.rating_score = stars, score
        db.session.commit()
    ids = [p["id"] for p in api().get("/providers", query_string={"category": "design"}).json["items"]]
    assert ids == [users[2].id, users[1].id, users[3].id, users[0].id]
    ids = [p["id"] for p in api().get("/providers", query_string={"min_stars": 5}).json["items"]]
    assert ids == [users[2].id, users[1].id]
    found = api().get("/providers", query_string={"province": "zhejiang", "min_stars": 4}).json["items"]
    ids = [p["id"] for p in found]
    assert ids == [users[2].id, users[3].id]
    assert api().get("/providers", query_string={"min_stars": 7}).status_code == 422


def complete_contracts(provider_ids, category: str, n: int = 3) -> None:
    """`n` completed contracts on tenders of `category` for each provider (rows only, in the caller's
    app context): what the badges rank on."""

    brand = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="x", role="brand", display_name="Brand")
    db.session.add(brand)
    for provider_id in provider_ids:
        for _ in range(n):
            tender = Tender(brand=brand, title="Done", category=category, description="", budget_min=1,
                            budget_max=100000, currency="CNY", bid_deadline=datetime.now(UTC), rounds=["proposal"],
                            stored_status="awarded")
            bid = Bid(tender=tender, provider_id=provider_id, amount=100000, currency="CNY", delivery_days=30,
                      proposal="", status="awarded")
            db.session.add(Contract(tender=tender, bid=bid, brand=brand, provider_id=provider_id, amount=100000,
                                    currency="CNY", status="completed", completed_at=datetime.now(UTC)))
    db.session.flush()


def ranked_providers(app, make_user, count: int, category: str) -> list:
    """`count` providers of `category`, each with three completed contracts there, rated 4 stars with
    scores 90, 89, … (best first)."""
    users = [make_user("provider") for _ in range(count)]
    with app.app_context():
        for rank, user in enumerate(users):
            row = db.session.get(ProviderProfile, user.id)
            profiles.update_provider_profile(row.user, company_name=f"P{rank}", categories=[category], province=None,
                                             city=None, description="", team_size=None)
            row.stars, row.rating_score = 4, 90 - rank
        complete_contracts([user.id for user in users], category)
        db.session.commit()
    return users


def test_badges_gold_and_silver_per_category(app, make_user):
    users = ranked_providers(app, make_user, 10, "video")
    with app.app_context():
        assert directory.award_badges() == 3  # 10 rated: 1 gold (5 %, at least one), 2 silver (15 %)
        db.session.commit()
        first = {b.provider_id: (b.id, b.level, b.awarded_at) for b in db.session.scalars(select(PartnerBadge))}
        assert directory.award_badges() == 3  # recomputing the same half-year replaces, never doubles
        db.session.commit()
        badges = {b.provider_id: b.level for b in db.session.scalars(select(PartnerBadge))}
        assert badges == {users[0].id: "gold", users[1].id: "silver", users[2].id: "silver"}
        assert db.session.scalar(select(func.count()).select_from(PartnerBadge)) == 3
        # only what changed is written: kept badges keep their rows; a new level is a new award
        assert {b.provider_id: (b.id, b.level, b.awarded_at) for b in db.session.scalars(select(PartnerBadge))} \
            == first
        db.session.get(ProviderProfile, users[2].id).rating_score = 95  # the third overtakes the first
        db.session.get(ProviderProfile, users[1].id).rating_score = 88.5
        db.session.commit()
        assert directory.award_badges() == 3
        db.session.commit()
        now = {b.provider_id: (b.id, b.level, float(b.score), b.awarded_at)
               for b in db.session.scalars(select(PartnerBadge))}
        assert {pid: level for pid, (_, level, _, _) in now.items()} == {
            users[2].id: "gold", users[0].id: "silver", users[1].id: "silver"}
        kept = now[users[1].id]
        assert (kept[0], kept[2], kept[3]) == (first[users[1].id][0], 88.5, first[users[1].id][2])  # new score
        assert now[users[2].id][3] > first[users[2].id][2]  # silver → gold: a new award
        for user in users:  # nobody rated any more: no badges
            db.session.get(ProviderProfile, user.id).stars = None
        db.session.commit()
        assert directory.award_badges() == 0
        assert db.session.scalar(select(func.count()).select_from(PartnerBadge)) == 0


def test_badges_in_sql_match_the_ranking_rule(app):
    """award_badges ranks in one INSERT … SELECT; it must give what ranking each category in Python
    gives: sizes where round() halves to even (10 → 0.5, 30 → 1.5, 50 → 2.5), tied scores, unrated
    providers, providers with too few contracts, work in two categories, categories listed but not worked."""

    rng = random.Random(7)
    sizes = {"design": 10, "video": 30, "photography": 50, "consulting": 1, "operations": 7}
    with app.app_context():
        for category, size in sizes.items():
            for n in range(size + 5):  # then three unrated, and two rated with only two contracts here
                user = User(email=f"{category}{n}@example.com", password_hash="x", role="provider",
                            display_name=f"{category} {n}")
                db.session.add(user)
                db.session.flush()
                rated = not size <= n < size + 3
                db.session.add(ProviderProfile(user_id=user.id, company_name=f"{category} {n}",
                                               stars=rng.choice((3, 4, 5, 6)) if rated else None,
                                               rating_score=rng.choice((70, 80, 80.5, 90)) if rated else None))
                for listed in {category, "video", "design"}:  # listing a category is no work in it
                    db.session.add(ProviderCategory(provider_id=user.id, category=listed))
                complete_contracts([user.id], category, 2 if n >= size + 3 else 3)
                if n % 4 == 0:
                    complete_contracts([user.id], "customer_service")
        db.session.commit()
        work = Counter((c.provider_id, c.tender.category) for c in db.session.scalars(select(Contract)))
        scores = {p.user_id: p.rating_score for p in db.session.scalars(select(ProviderProfile)) if p.stars}
        expected = set()
        for category in sizes | {"customer_service": 0}:  # the rule, per category in Python
            ranked = sorted((pid for (pid, worked), done in work.items()
                             if worked == category and done >= directory.BADGE_MIN_CONTRACTS and pid in scores),
                            key=lambda pid: (-scores[pid], pid))
            start = 0
            for level, share, least in directory.BADGE_SHARES:
                count = max(least, round(len(ranked) * share)) if ranked else 0
                expected |= {(provider_id, category, level) for provider_id in ranked[start:start + count]}
                start += count
        assert directory.award_badges() == len(expected)
        db.session.commit()
        got = {(b.provider_id, b.category, b.level) for b in db.session.scalars(select(PartnerBadge))}
        assert got == expected
        assert {level for _, category, level in got if category == "photography"} == {"gold", "silver"}
        assert sum(1 for _, category, level in got if category == "photography" and level == "gold") == 2
        assert sum(1 for _, category, _ in got if category == "video") == 2 + 4  # its own 30 (not design's): 1.5, 4.5
        assert {level for _, category, level in got if category == "consulting"} == {"gold"}  # one: no silver


def test_badges_rank_the_work_done_in_a_category_not_the_categories_listed(app, make_user, track_record):
    """A provider whose three contracts are customer service lists video and design too: its badge is in
    customer service only. In a category of two, the best is gold and the other gets nothing."""
    _, worker, _ = track_record(3)  # three completed customer-service contracts
    other = make_user("provider")
    with app.app_context():
        rating_runner.recompute_dirty()
        for user_id, categories in ((worker, ["video", "design"]), (other.id, ["customer_service", "video"])):
            row = db.session.get(ProviderProfile, user_id)
            profiles.update_provider_profile(row.user, company_name=f"P{user_id}", categories=categories,
                                             province=None, city=None, description="", team_size=None)
        lister = db.session.get(ProviderProfile, other.id)  # rated higher, but no work in any category
        lister.stars, lister.rating_score = 6, 99
        db.session.commit()
        assert directory.award_badges() == 1
        db.session.commit()
        assert [(b.provider_id, b.category, b.level) for b in db.session.scalars(select(PartnerBadge))] == [
            (worker, "customer_service", "gold")]
        complete_contracts([other.id], "customer_service")  # now both worked there: gold and no silver
        db.session.commit()
        assert directory.award_badges() == 1
        db.session.commit()
        assert [(b.provider_id, b.category, b.level) for b in db.session.scalars(select(PartnerBadge))] == [
            (other.id, "customer_service", "gold")]


@pytest.mark.worker
def test_full_recompute_reports_progress_then_awards_badges(track_record, app, api, make_user):
    """The full recompute runs as a job with progress; the partner badges follow as a job of their own,
    ranked from the ratings it committed."""

    _, provider, _ = track_record(3)
    with app.app_context():  # ratings and badges from the full run only
        db.session.execute(update(ProviderProfile).values(stars=None, rating_score=None, rating_counts=None))
        db.session.add(ProviderCategory(provider_id=provider, category="design"))
        db.session.commit()
    staff = api(make_user("admin"))
    r = staff.post("/admin/ratings/recompute")
    assert r.status_code == 202
    job_id = r.json["job_id"]
    assert staff.get(f"/jobs/{job_id}").json["status"] == "queued"
    run_worker_burst()
    status = staff.get(f"/jobs/{job_id}").json
    assert status["status"] == "finished" and status["progress"]["done"] == status["progress"]["total"] >= 1
    assert api(make_user("brand")).get(f"/jobs/{job_id}").status_code == 404
    with app.app_context():
        assert Job.fetch(job_id, connection=get_redis()).meta["started_by"]
        assert [badge.level for badge in db.session.scalars(select(PartnerBadge))] == ["gold"]


def test_the_two_ways_to_the_platform_mean_agree(track_record, app):

    provider, _, deals = track_record(2, brands=2)
    for (brand, contract), quality in zip(deals, (5, 2), strict=True):
        brand.post(f"/contracts/{contract}/reviews", json={"scores": {**GOOD, "quality": quality}})
        provider.post(f"/contracts/{contract}/reviews", json={"scores": GOOD})
    with app.app_context():
        now = utcnow()
        by_sum = ratings_data.mean_of(ratings_data.gather(now, None))
        assert by_sum == pytest.approx(ratings_data.platform_mean(now)) == pytest.approx((4.75 + 4.0) / 2)


def test_the_nightly_sql_and_the_python_path_agree(track_record, app, api, make_user):
    """recompute_all rates everyone in SQL (ratings.sql_rate over one table of inputs); the current
    (newest) rating must be what the per-provider path (gather + ratings.rate) gives, for published,
    lone and hidden reviews."""


    provider, busy, deals = track_record(4, brands=3)
    for (brand, contract), quality in zip(deals, (5, 2, 4, 3), strict=True):
        brand.post(f"/contracts/{contract}/reviews", json={"scores": {**GOOD, "quality": quality}})
    for _, contract in deals[:2]:  # two pairs complete; the other two brand reviews wait for the window
        provider.post(f"/contracts/{contract}/reviews", json={"scores": GOOD})
    _, newcomer, [(brand, contract)] = track_record(1)
    brand.post(f"/contracts/{contract}/reviews", json={"scores": GOOD})
    idle = make_user("provider").id
    with app.app_context():
        hidden = db.session.scalar(select(Review.id).where(Review.contract_id == deals[3][1]))
    assert api(make_user("admin")).post(f"/admin/reviews/{hidden}/hide", json={"reason": "Abusive"}).status_code == 200

    with app.app_context():
        for now in (utcnow(), utcnow() + timedelta(days=15)):  # before and after the lone reviews' windows
            expected = ratings_data.gather(now, [busy, newcomer, idle])
            mean = ratings_data.mean_of(ratings_data.gather(now, None))
            assert ratings_data.recompute_everyone(now).providers >= 3
            stored = directory.latest_ratings(list(expected))  # the newest row is the current rating
            for provider_id, inputs in expected.items():
                want, row = ratings.rate(inputs, mean), stored[provider_id]
                assert (float(row.score), row.stars, *(float(getattr(row, name)) for name in want.dimensions)) \
                    == (want.score, want.stars, *want.dimensions.values())
                assert row.input_counts == ratings_data.counts_key(inputs)
                if row.computed_at == now:  # written by this run (an unchanged rating keeps its older row)
                    assert row.inputs == pytest.approx({**vars(inputs), "platform_mean": round(mean, 4)}, rel=1e-12)
                profile = db.session.get(ProviderProfile, provider_id)
                db.session.refresh(profile)
                assert (profile.stars, float(profile.rating_score)) == (want.stars, want.score)
            assert stored[busy].inputs["review_count"] == (2 if now < utcnow() + timedelta(days=1) else 3)
            assert stored[idle].inputs["completed_contracts"] == 0
        db.session.rollback()


def newest_rows(app, *provider_ids) -> dict:
    with app.app_context():
        return {provider_id: (len(rows), rows[-1].id) for provider_id in provider_ids
                if (rows := ratings_of(app, provider_id))}


def assert_profiles_hold_the_newest_rows(app) -> None:
    """The invariant both paths keep: every rated profile shows its newest history row's stars and score."""
    with app.app_context():
        profiles = db.session.scalars(select(ProviderProfile)).all()
        newest = directory.latest_ratings([p.user_id for p in profiles])
        assert newest
        for profile in profiles:
            if (row := newest.get(profile.user_id)) is not None:
                assert (profile.stars, profile.rating_score) == (row.stars, row.score), profile.user_id


def test_the_nightly_run_writes_only_what_changed(track_record, app, api, make_user):
    """The history is a change log: a run writes a row, and updates the profile, only for a provider
    whose score, stars or a whole-number input differs from the rating its profile holds; each run is
    recorded, so the pages can say when ratings were last checked."""

    _, steady, _ = track_record(4, brands=3)
    mover_user = make_user("provider")
    _, mover, _ = track_record(3, brands=2, provider=mover_user)
    start = utcnow()
    with app.app_context():
        first = ratings_data.recompute_everyone(start)
        assert first.changed == first.providers >= 2
        db.session.commit()
        ours = directory.latest_ratings([steady, mover])  # two different ratings, so no row stands for another
        assert ours[steady].input_counts != ours[mover].input_counts
    assert_profiles_hold_the_newest_rows(app)
    before = newest_rows(app, steady, mover)
    assert {count for count, _ in before.values()} == {1}

    with app.app_context():  # the next run: nothing changed, nothing written
        second = ratings_data.recompute_everyone(start + timedelta(minutes=1))
        assert second.changed == 0
        db.session.commit()
    assert newest_rows(app, steady, mover) == before
    with app.app_context():  # an unchanged rating holds since it was computed, and was checked by this run
        kept = directory.latest_ratings([steady])[steady]
        assert (kept.computed_at, kept.checked_at) == (start, start + timedelta(minutes=1))

    track_record(1, provider=mover_user)  # the mover completes a fourth contract
    with app.app_context():  # and the steady provider's profile drifted (set by hand)
        db.session.get(ProviderProfile, steady).stars = 6
        db.session.commit()
        third = ratings_data.recompute_everyone(start + timedelta(minutes=2))
        assert third.changed == 2  # the mover's new rating; the steady one put back on its profile
        db.session.commit()
        checked = directory.last_checked()
        assert checked == third.rated_at == start + timedelta(minutes=2)
        assert db.session.scalar(select(func.count()).select_from(RatingRun)) == 3
    after = newest_rows(app, steady, mover)
    assert after[steady][0] == 2  # the repair is recorded
    assert after[mover][0] == 2
    assert_profiles_hold_the_newest_rows(app)
    with app.app_context():
        latest = directory.latest_ratings([steady, mover])
        assert latest[mover].inputs["completed_contracts"] == 4 and latest[mover].computed_at == checked
        assert latest[steady].computed_at == checked and latest[steady].stars != 6
    # the API reads the newest row; the history is the step line of changes
    public = api().get(f"/providers/{mover}").json
    assert public["completed_contracts"] == 4 and public["score"] == float(latest[mover].score)
    points = api().get(f"/providers/{mover}/ratings").json["items"]
    assert len(points) == 2 and points[-1]["score"] == float(latest[mover].score)
    steady_points = api().get(f"/providers/{steady}/ratings").json["items"]
    assert len(steady_points) == 2 and steady_points[0]["score"] == steady_points[1]["score"]


def test_the_event_path_writes_only_what_changed(track_record, app):
    """Recomputes after events keep the same change log, and agree with the nightly run: a provider the
    event path rated gets no new row from a nightly run over the same data."""

    _, provider_id, _ = track_record(3)
    with app.app_context():
        now = utcnow()
        assert ratings_data.recompute([provider_id], now) == 1
        assert ratings_data.recompute([provider_id], now + timedelta(seconds=1)) == 1  # checked, unchanged
        db.session.commit()
        assert ratings_data.recompute_everyone(now + timedelta(seconds=2)).changed == 0
        db.session.commit()
    assert len(ratings_of(app, provider_id)) == 1
    assert_profiles_hold_the_newest_rows(app)

    # a whole-number input that moves no score still makes a row: what fed the rating changed
    none_settled, two_on_time = RatingInputs(), RatingInputs(settled_milestones=2, on_time_milestones=2)
    with app.app_context():
        for inputs in (none_settled, two_on_time, two_on_time):
            ratings_data.store(utcnow(), {provider_id: inputs}, 4.0)
        db.session.commit()
    rows = ratings_of(app, provider_id)
    assert len(rows) == 3 and rows[-1].score == rows[-2].score and rows[-1].stars == rows[-2].stars
    assert rows[-1].inputs["settled_milestones"] == 2 and rows[-2].inputs["settled_milestones"] == 0
    assert_profiles_hold_the_newest_rows(app)


def _at_once(app, work, runs: int = 2) -> list:
    """Run `work()` in `runs` threads released together, each in its own app context (so its own
    connection and transaction), committing after it; their results, or the first error raised."""
    barrier, results, errors = threading.Barrier(runs), [], []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                results.append(work())
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 (re-raised in the test's thread below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_concurrent_full_recomputes_write_each_change_once(track_record, app):
    """The nightly run and staff's "recompute now" at the same moment: the second waits for the first,
    finds the ratings it committed and writes nothing; each provider gets one history row."""

    providers = [track_record(3)[1], track_record(1)[1]]
    with app.app_context():  # no rating yet: each run, alone, would write one per provider
        db.session.execute(delete(ProviderRating))
        db.session.execute(update(ProviderProfile).values(stars=None, rating_score=None, rating_counts=None))
        db.session.commit()
        everyone = db.session.scalar(select(func.count()).select_from(ProviderProfile))
    now = utcnow()
    changed = _at_once(app, lambda: ratings_data.recompute_everyone(now).changed)
    assert sorted(changed) == [0, everyone]
    with app.app_context():
        rows = dict(db.session.execute(select(ProviderRating.provider_id, func.count())
                                       .group_by(ProviderRating.provider_id)).all())
        assert len(rows) == everyone and set(rows.values()) == {1}
        assert all(rows[provider] == 1 for provider in providers)
    assert_profiles_hold_the_newest_rows(app)


def test_concurrent_badge_awards_award_each_badge_once(app, make_user):
    """Two badge jobs at once (two full recomputes queued one each): the second finds the first's badges
    held, where without turns both would insert the same new badges and one would fail."""
    ranked_providers(app, make_user, 20, "design")
    assert _at_once(app, directory.award_badges) == [4, 4]  # 1 gold, 3 silver; each job counts the holders
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PartnerBadge)) == 4
