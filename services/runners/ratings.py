"""The rating runners: the event path's batches and the nightly full recompute. Each commits as it
goes (they run in a worker, not in a request). Marks come from services/rating_jobs.py."""
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from extensions import db
from models import RatingMark
from models.types import utcnow
from services import brand_scores, directory, locking, ratings_data, tasks
from services.rating_jobs import MAX_ATTEMPTS

BATCH = 500
LEASE = timedelta(seconds=20)  # a run's hold on the marks it took; a killed run's marks are free after it
# (a batch takes well under a second; one that outlives its lease is taken over and rates nothing twice)
_CLAIMS = 0x57494D4B  # "WIMK": SQLite takes its write lock before reading marks (PostgreSQL skips locked rows)


def recompute_dirty() -> int:
    """Recompute the providers with rating marks, a batch at a time, until none is left; how many
    providers were rated.

    Each batch is two steps. Taking: the marks not held by another run (on PostgreSQL `FOR UPDATE SKIP
    LOCKED`, so concurrent runs never take the same mark) get this run's token, a LEASE and one more
    attempt, committed. Rating: on the rating writers' turn, the marks still held by this token are
    locked, their providers recomputed, and the marks deleted in the same transaction as the new ratings.
    A run killed at any instruction loses nothing: its marks stay, and are free again once their lease
    has passed; one whose lease passed while it waited finds them taken over and rates nothing twice.
    A batch that fails is retried one provider at a time, so one bad provider holds up nobody else;
    a provider whose marks were taken up MAX_ATTEMPTS times without being rated (failing, or killing its
    worker) is set aside, logged, and left to the nightly run (a later event gives it a fresh mark)."""
    done = 0
    while (taken := _take()) is not None:
        token, providers = taken
        try:
            done += _rate(token)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("ratings of providers %s failed; rated one at a time", providers)
            for provider_id in providers if len(providers) > 1 else ():
                try:
                    done += _rate(token, provider_id)
                except Exception:  # its marks stay leased: a later run tries again
                    db.session.rollback()
                    current_app.logger.exception("rating of provider %s failed", provider_id)
    return done


def _take() -> tuple[str, list[int]] | None:
    """Take a batch of free marks for a new token (committed); None when there is none."""
    now = utcnow()
    if db.session.get_bind().dialect.name == "sqlite":
        locking.serialize(RatingMark, _CLAIMS)
    marks = db.session.scalars(
        select(RatingMark).where(or_(RatingMark.taken_until.is_(None), RatingMark.taken_until <= now))
        .order_by(RatingMark.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    if not marks:
        db.session.rollback()
        return None
    taken = [(mark.id, mark.provider_id, mark.attempts) for mark in marks]
    spent = sorted({provider for _, provider, attempts in taken if attempts >= MAX_ATTEMPTS})
    if spent:
        current_app.logger.error("ratings of providers %s failed %s times; left to the nightly run", spent,
                                 MAX_ATTEMPTS)
        db.session.execute(delete(RatingMark).where(RatingMark.id.in_([i for i, p, _ in taken if p in spent]))
                           .execution_options(synchronize_session=False))
    token = uuid.uuid4().hex
    db.session.execute(update(RatingMark).where(RatingMark.id.in_([i for i, p, _ in taken if p not in spent]))
                       .values(taken_by=token, taken_until=now + LEASE, attempts=RatingMark.attempts + 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return token, sorted({provider for _, provider, _ in taken if provider not in spent})


def _rate(token: str, provider_id: int | None = None) -> int:
    """Rate the providers of the marks `token` still holds (or only `provider_id`'s) and delete those
    marks, in one transaction."""
    ratings_data.take_writers_turn()  # before reading the marks: another writer may be committing
    mine = RatingMark.taken_by == token
    if provider_id is not None:
        mine &= RatingMark.provider_id == provider_id
    providers = sorted(set(db.session.scalars(select(RatingMark.provider_id).where(mine).with_for_update())))
    changed = ratings_data.recompute(providers, utcnow()) if providers else 0
    db.session.execute(delete(RatingMark).where(mine).execution_options(synchronize_session=False))
    db.session.commit()
    return changed


def recompute_all() -> dict:
    """Every provider, in set-based SQL (ratings_data.recompute_everyone: memory does not grow with
    providers, reviews or contracts); progress goes to the job's meta. Only changed ratings are written
    (the profile, a history row); the run itself is recorded, as when ratings were last checked. The
    partner badges, ranked from the new ratings, follow as a job of their own once these are committed.
    The brands' scores are recomputed in the same run (services.brand_scores)."""
    now = utcnow()
    run = ratings_data.recompute_everyone(now, progress=tasks.report_progress)
    brands_changed = brand_scores.recompute(now)
    tasks.after_commit("award_partner_badges")
    db.session.commit()
    return {"providers": run.providers, "changed": run.changed, "brands_changed": brands_changed}


def award_badges() -> int:
    """The current half-year's partner badges from the current ratings (directory.award_badges)."""
    holders = directory.award_badges(utcnow())
    db.session.commit()
    return holders
