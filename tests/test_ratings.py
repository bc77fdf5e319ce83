"""Ratings computed by workers: a real RQ worker process, de-duplicated recompute jobs, the
directory best first, badges, and what a provider sees about its stars."""
from sqlalchemy import func, select

from extensions import db, get_redis
from models import ProviderProfile, ProviderRating
from services import rating_jobs
from tests.test_worker import run_worker_burst
from workers.queues import queue

GOOD = {"quality": 5, "communication": 5, "timeliness": 4, "professionalism": 5}


def ratings_of(app, provider_id) -> list[ProviderRating]:
    with app.app_context():
        rows = db.session.scalars(select(ProviderRating).where(ProviderRating.provider_id == provider_id)
                                  .order_by(ProviderRating.id)).all()
        db.session.expunge_all()
        return rows


def test_a_real_worker_recomputes_after_reviews_posted_through_the_api(track_record, app, api):
    provider, provider_id, deals = track_record(3, brands=2)
    for brand, contract in deals:
        review = brand.post(f"/contracts/{contract}/reviews", json={"scores": GOOD, "comment": "Great"})
        assert review.status_code == 201
        assert provider.post(f"/contracts/{contract}/reviews", json={"scores": GOOD}).status_code == 201
    with app.app_context():
        assert queue("default").count == 1  # every release and review above: one queued job
    run_worker_burst()
    rows = ratings_of(app, provider_id)
    assert len(rows) == 1
    latest = rows[-1]
    assert latest.stars in (3, 4, 5, 6) and latest.inputs["completed_contracts"] == 3
    assert latest.inputs["review_count"] == 3
    public = api().get(f"/providers/{provider_id}").json
    assert public["stars"] == latest.stars and public["score"] == float(latest.score)
    assert set(public["score_breakdown"]) == {"service_reviews", "operating", "brand_development", "growth"}
    assert public["review_count"] == 3 and public["completed_contracts"] == 3


def test_a_burst_of_twenty_events_gives_one_job(track_record, app):
    _, provider_id, _ = track_record(1)
    with app.app_context():
        queue("default").empty()
        get_redis().delete(rating_jobs.DIRTY)
        for _ in range(20):
            rating_jobs.request_recompute(provider_id)
            db.session.execute(select(1))
            db.session.commit()
        assert queue("default").count == 1
    run_worker_burst()
    assert len(ratings_of(app, provider_id)) == 1


def test_new_provider_has_no_stars_but_a_score(track_record, app, api):
    _, provider_id, _ = track_record(2)
    with app.app_context():
        assert rating_jobs.recompute_dirty() >= 1
    public = api().get(f"/providers/{provider_id}").json
    assert public["stars"] is None and public["score"] is not None  # never a made-up star level
    assert public["completed_contracts"] == 2


def test_directory_best_first_and_filters(app, api, make_user):
    from services import profiles

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


def test_badges_gold_and_silver_per_category(app, make_user):
    from models import PartnerBadge
    from services import directory, profiles

    users = [make_user("provider") for _ in range(10)]
    with app.app_context():
        for rank, user in enumerate(users):
            row = db.session.get(ProviderProfile, user.id)
            profiles.update_provider_profile(row.user, company_name=f"P{rank}", categories=["video"], province=None,
                                             city=None, description="", team_size=None)
            row.stars, row.rating_score = 4, 90 - rank
        db.session.commit()
        assert directory.award_badges() == 3  # 10 rated: 1 gold (5 %, at least one), 2 silver (15 %)
        db.session.commit()
        assert directory.award_badges() == 3  # recomputing the same half-year replaces, never doubles
        db.session.commit()
        badges = {b.provider_id: b.level for b in db.session.scalars(select(PartnerBadge))}
        assert badges == {users[0].id: "gold", users[1].id: "silver", users[2].id: "silver"}
        assert db.session.scalar(select(func.count()).select_from(PartnerBadge)) == 3


def test_full_recompute_reports_progress(track_record, app, api, make_user):
    from rq.job import Job

    track_record(1)
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


def test_the_two_ways_to_the_platform_mean_agree(track_record, app):
    import pytest

    from models.types import utcnow
    from services import ratings_data

    provider, _, deals = track_record(2, brands=2)
    for (brand, contract), quality in zip(deals, (5, 2), strict=True):
        brand.post(f"/contracts/{contract}/reviews", json={"scores": {**GOOD, "quality": quality}})
        provider.post(f"/contracts/{contract}/reviews", json={"scores": GOOD})
    with app.app_context():
        now = utcnow()
        by_sum = ratings_data.mean_of(ratings_data.gather(now, None))
        assert by_sum == pytest.approx(ratings_data.platform_mean(now)) == pytest.approx((4.75 + 4.0) / 2)


def test_the_nightly_sql_and_the_python_path_agree(track_record, app, api, make_user):
    """recompute_all rates everyone in SQL (ratings.sql_rate over one table of inputs); it must store
    what the per-provider path (gather + ratings.rate) gives, for published, lone and hidden reviews."""
    from datetime import timedelta

    import pytest

    from models import Review
    from models.types import utcnow
    from services import ratings, ratings_data

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
            assert ratings_data.recompute_everyone(now) >= 3
            stored = {r.provider_id: r for r in db.session.scalars(select(ProviderRating)
                                                                   .where(ProviderRating.computed_at == now))}
            for provider_id, inputs in expected.items():
                want, row = ratings.rate(inputs, mean), stored[provider_id]
                assert (float(row.score), row.stars, *(float(getattr(row, name)) for name in want.dimensions)) \
                    == (want.score, want.stars, *want.dimensions.values())
                assert row.inputs == pytest.approx({**vars(inputs), "platform_mean": round(mean, 4)}, rel=1e-12)
                profile = db.session.get(ProviderProfile, provider_id)
                db.session.refresh(profile)
                assert (profile.stars, float(profile.rating_score)) == (want.stars, want.score)
            assert stored[busy].inputs["review_count"] == (2 if now < utcnow() + timedelta(days=1) else 3)
            assert stored[idle].inputs["completed_contracts"] == 0
        db.session.rollback()
