"""The one after-commit path (services/after_commit.py): work runs once the transaction commits, is
undone when it rolls back, and never turns a committed write into an error."""
import logging

import pytest
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from extensions import db
from models import ApiToken, RatingMark, Review
from services import after_commit, rating_jobs
from services.tasks import queue

SCORES = {"quality": 5, "communication": 4, "timeliness": 4, "professionalism": 5}


def test_commit_runs_each_call_once_in_order_and_rollback_runs_none(ctx):
    ran = []
    after_commit.on_commit(ran.append, "first")
    after_commit.on_commit(ran.append, "second")
    after_commit.on_commit(ran.append, "first")  # the same call twice: once
    after_commit.on_rollback(ran.append, "undo")
    db.session.execute(select(1))
    assert ran == []  # nothing before the commit
    db.session.commit()
    assert ran == ["first", "second"]
    db.session.execute(select(1))
    after_commit.on_commit(ran.append, "never")
    after_commit.on_rollback(ran.append, "undone")
    db.session.rollback()
    db.session.commit()  # a later commit does not run what the rollback dropped
    assert ran == ["first", "second", "undone"]


def test_a_batch_is_one_call_with_every_item_of_the_transaction(ctx):
    calls = []
    for provider_id in (7, 8, 7):
        after_commit.on_commit_batch(calls.append, provider_id)
    db.session.execute(select(1))
    db.session.commit()
    assert calls == [(7, 8)]
    after_commit.on_commit_batch(calls.append, 9)
    db.session.execute(select(1))
    db.session.rollback()
    db.session.commit()
    assert calls == [(7, 8)]  # a rolled-back transaction's batch is dropped


def test_a_savepoint_rolling_back_leaves_the_outer_transaction_to_decide(ctx):
    ran = []
    db.session.execute(select(1))
    with pytest.raises(RuntimeError), db.session.begin_nested():
        after_commit.on_rollback(ran.append, "file")
        raise RuntimeError("a later field was refused")
    assert ran == []
    db.session.commit()  # the outer transaction committed: its rollback work is dropped
    assert ran == []


def test_a_failing_callback_is_logged_and_the_rest_still_run(ctx, caplog):
    ran = []

    def broken():
        raise ConnectionError("Redis is restarting")

    after_commit.on_commit(broken)
    after_commit.on_commit(ran.append, "after")
    db.session.execute(select(1))
    with caplog.at_level(logging.ERROR, logger="services.after_commit"):
        db.session.commit()  # does not raise
    assert ran == ["after"]
    assert "broken" in caplog.text and "Redis is restarting" in caplog.text


def test_a_committed_review_is_answered_201_when_redis_refuses_the_rating_nudge(track_record, app, monkeypatch):
    provider, provider_id, [(brand, contract)] = track_record(1)

    class RedisDown:
        def get(self, *_args):
            raise ConnectionError("Redis is down")

    with app.app_context():
        db.session.execute(delete(RatingMark))
        db.session.commit()
    monkeypatch.setattr(rating_jobs, "get_redis", RedisDown)
    r = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Fast and careful."})
    assert r.status_code == 201, r.json
    with app.app_context():
        assert db.session.scalar(select(Review.contract_id)) == contract
        assert db.session.scalars(select(RatingMark.provider_id)).all() == [provider_id]  # the mark stands


def test_a_rating_mark_is_written_in_the_transaction_and_queues_one_job_after_commit(app):
    with app.app_context():
        rating_jobs.request_recompute(7)
        rating_jobs.request_recompute(8)
        rating_jobs.request_recompute(7)  # twice in one transaction: one mark
        db.session.flush()
        assert sorted(db.session.scalars(select(RatingMark.provider_id))) == [7, 8]
        assert queue("default").count == 0  # no job before the commit
        db.session.commit()
        assert queue("default").count == 1
        rating_jobs.request_recompute(9)
        db.session.rollback()  # a rolled-back event leaves no mark and queues nothing
        assert sorted(db.session.scalars(select(RatingMark.provider_id))) == [7, 8]
        assert queue("default").count == 1


def test_api_reads_never_commit_and_still_record_the_tokens_use(app, deal):
    d = deal()
    commits = []

    def count(_session):
        commits.append(1)

    with app.app_context():
        db.session.execute(ApiToken.__table__.update().values(last_used_at=None))
        db.session.commit()
    event.listen(Session, "after_commit", count)
    try:
        for path in ("/tenders", f"/contracts/{d.contract_id}", "/notifications", "/me"):
            assert d.brand.get(path).status_code == 200, path
    finally:
        event.remove(Session, "after_commit", count)
    assert commits == []
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == d.brand_id)) is not None
