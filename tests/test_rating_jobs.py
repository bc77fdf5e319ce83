"""The de-duplicated recompute job keeps working after one of its runs failed."""
from rq import SimpleWorker
from sqlalchemy import select

from extensions import db, get_redis
from services import rating_jobs
from services.runners import ratings as rating_runner
from services.tasks import queue


def event_for(provider_id: int) -> None:
    rating_jobs.request_recompute(provider_id)
    db.session.execute(select(1))
    db.session.commit()


def test_events_queue_a_job_again_after_the_last_one_failed(app, monkeypatch):
    def fails():
        raise RuntimeError("database restarting")

    with app.app_context():
        default = queue("default")
        event_for(1)
        monkeypatch.setattr(rating_runner, "recompute_dirty", fails)
        SimpleWorker([default], connection=get_redis()).work(burst=True)
        assert default.fetch_job(rating_jobs.JOB_ID).is_failed  # RQ keeps it, id and all
        monkeypatch.undo()
        for provider_id in (2, 3):
            event_for(provider_id)
        assert default.count == 1 and default.job_ids == [rating_jobs.JOB_ID]
        SimpleWorker([default], connection=get_redis()).work(burst=True)
        assert get_redis().scard(rating_jobs.DIRTY) == 0  # 1, 2 and 3 were all taken up
