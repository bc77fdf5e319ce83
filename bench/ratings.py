"""Full rating recompute on PostgreSQL against a raw-SQL aggregate over the same reviews.

    DATABASE_URL=postgresql://root@127.0.0.1:5432/test .venv/bin/python -m bench.ratings [--scale 1.0]

Builds a separate `<db>_bench_ratings` database with 50,000 providers (each in one or two categories),
200,000 contracts and 1,000,000 reviews, and 20,000 won contest prizes with a brand review each (× scale)
(the ratings count a prize as completed work and its review among the reviews), then times the nightly job
(services.rating_jobs.recompute_all, which scores the 5,000 brands too: services.brand_scores) twice:
(a) the first-ever run on the fresh data (every provider gets its first rating), and (b) the run the
next night — the clock moved one day on, so review weights decay, windows move and reviews whose window
closed become public, and only the ratings that changed are written. Each is set against the baseline —
one GROUP BY over all reviews, fetched, the median of three runs — timed just before it. The job
queues the partner badges as a job of their own: it is run and timed separately. Memory: the
process's peak before and after each run, and (c) a third night, untimed, under tracemalloc — the most
Python held at once. A 10 % scale runs first in the same process, so memory that does not grow with
the data shows as the same figures at both scales (its ratios are dominated by fixed costs).
Target, at scale 1 (issue 21): ratio ≤ 2 for both runs, the first and the nightly one.

The tables are vacuumed after loading and between the two runs, as autovacuum would have done on a
live database (a day passes between them); otherwise the first query to read 1,000,000 fresh rows
pays for setting their hint bits, whichever it is.
"""
import statistics
import time
import tracemalloc
from datetime import timedelta

import time_machine
from sqlalchemy import text

from bench.common import peak_mb, run_scales
from extensions import db
from models.catalog import CATEGORIES
from models.types import utcnow
from services.runners import ratings as rating_runner
from services.tasks import queue

PROVIDERS, BRANDS, CONTRACTS, REVIEWS_PER_CONTRACT = 50_000, 5_000, 200_000, 5
PRIZES = 20_000  # won contests: one contest, one entry, one award and the brand's review of the winner each


def generate(db, scale: float) -> dict:
    """Synthetic but shaped like the market: every provider in one or two categories, its contracts on
    tenders of the first (so the partner badges rank it there), every contract settled, five brand
    reviews each (no provider review, so each is public from the close of its contract's review
    window)."""
    n_prov, n_brand, n_con = int(PROVIDERS * scale), int(BRANDS * scale), int(CONTRACTS * scale)
    n_prize = int(PRIZES * scale)
    sql = f"""
    TRUNCATE reviews, contest_awards, contest_entries, contests, milestones, contracts, bids, tenders,
        provider_profiles, brand_profiles, users RESTART IDENTITY CASCADE;
    INSERT INTO users (email, password_hash, role, display_name, timezone, active, created_at)
        SELECT 'p' || g || '@bench', 'x', 'provider', 'Provider ' || g, 'Asia/Shanghai', true, now()
        FROM generate_series(1, {n_prov}) g;
    INSERT INTO users (email, password_hash, role, display_name, timezone, active, created_at)
        SELECT 'b' || g || '@bench', 'x', 'brand', 'Brand ' || g, 'Asia/Shanghai', true, now()
        FROM generate_series(1, {n_brand}) g;
    INSERT INTO provider_profiles (user_id, company_name, description, verification_status, updated_at)
        SELECT g, 'Provider ' || g, '', 'verified', now() FROM generate_series(1, {n_prov}) g;
    INSERT INTO provider_categories (provider_id, category)
        SELECT g, c FROM generate_series(1, {n_prov}) g,
               unnest(ARRAY[(ARRAY{list(CATEGORIES)})[1 + g % 6], (ARRAY{list(CATEGORIES)})[1 + (g / 6) % 6]]) c
        ON CONFLICT DO NOTHING;
    INSERT INTO brand_profiles (user_id, store_name, size_tier, updated_at)
        SELECT {n_prov} + g, 'Brand ' || g, (ARRAY['small','growing','large','flagship'])[1 + g % 4], now()
        FROM generate_series(1, {n_brand}) g;
    INSERT INTO tenders (brand_id, title, category, description, budget_min, budget_max, currency, bid_deadline,
                         sealed, sealed_opening, invited_only, requires_verified, rounds, status, created_at,
                         updated_at)
        SELECT {n_prov} + 1 + g % {n_brand}, 'T' || g, (ARRAY{list(CATEGORIES)})[1 + (1 + g % {n_prov}) % 6],
               'bench tender', 1, 10000000, 'CNY', now(),
               false, false, false, false, '["proposal"]', 'awarded', now(), now()
        FROM generate_series(1, {n_con}) g;
    INSERT INTO bids (tender_id, provider_id, status, amount, currency, delivery_days, proposal, revision,
                      round_index, created_at, updated_at)
        SELECT g, 1 + g % {n_prov}, 'awarded', 100000 + (g * 7919) % 5000000, 'CNY', 30, 'bench', 1, 0, now(), now()
        FROM generate_series(1, {n_con}) g;
    INSERT INTO contracts (tender_id, bid_id, brand_id, provider_id, amount, currency, status, created_at,
                           completed_at)
        SELECT g, g, {n_prov} + 1 + g % {n_brand}, 1 + g % {n_prov}, 100000 + (g * 7919) % 5000000, 'CNY',
               'completed', now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day'
        FROM generate_series(1, {n_con}) g;
    INSERT INTO milestones (contract_id, position, title, amount, currency, status, due_at, created_at,
                            funded_at, delivered_at, released_at)
        SELECT g, 0, 'All', 100000 + (g * 7919) % 5000000, 'CNY', 'released', now(), now(),
               now() - (g % 700) * interval '1 day' + (g % 5) * interval '1 day',
               now() - (g % 700) * interval '1 day' + (g % 5) * interval '1 day' + interval '6 days',
               now() - (g % 700) * interval '1 day' + (g % 5) * interval '1 day' + interval '7 days'
        FROM generate_series(1, {n_con}) g;
    INSERT INTO reviews (contract_id, author_id, subject_id, author_role, quality, communication, timeliness,
                         professionalism, comment, created_at, visible_from, weighing_amount)
        SELECT c, {n_prov} + 1 + (c + r) % {n_brand}, 1 + c % {n_prov}, 'brand', 1 + (c + r) % 5, 1 + (c * r) % 5,
               1 + (c + 2 * r) % 5, 1 + (c + 3 * r) % 5, '', now() - ((c + r) % 900) * interval '1 day',
               now() - (c % 700) * interval '1 day' + interval '14 days', 100000 + (c * 7919) % 5000000
        FROM generate_series(1, {n_con}) c, generate_series(1, {REVIEWS_PER_CONTRACT}) r;
    INSERT INTO contests (brand_id, created_by_id, title, category, brief, deliverable_spec, currency, prize_total,
                          entry_deadline, selection_deadline, blind, guaranteed, ip_terms, handover_days, status,
                          created_at, awarded_at, auto_awarded)
        SELECT {n_prov} + 1 + g % {n_brand}, {n_prov} + 1 + g % {n_brand}, 'C' || g, 'design', 'bench contest', '',
               'CNY', 50000 + (g * 7919) % 500000, now() - (g % 700) * interval '1 day' - interval '8 days',
               now() - (g % 700) * interval '1 day', true, true, 'full_transfer', 7, 'awarded',
               now() - (g % 700) * interval '1 day' - interval '20 days', now() - (g % 700) * interval '1 day', false
        FROM generate_series(1, {n_prize}) g;
    INSERT INTO contest_entries (contest_id, provider_id, submitted_by_id, note, status, shortlisted, submitted_at)
        SELECT g, 1 + (g * 13) % {n_prov}, 1 + (g * 13) % {n_prov}, '', 'active', false,
               now() - (g % 700) * interval '1 day' - interval '10 days'
        FROM generate_series(1, {n_prize}) g;
    INSERT INTO contest_awards (contest_id, entry_id, rank, amount, commission, handover_state,
                                handover_delivered_at, handover_confirmed_at, handover_auto, created_at)
        SELECT g, g, 1, 50000 + (g * 7919) % 500000, 5000, 'confirmed', now() - (g % 700) * interval '1 day',
               now() - (g % 700) * interval '1 day', false, now() - (g % 700) * interval '1 day'
        FROM generate_series(1, {n_prize}) g;
    INSERT INTO reviews (contest_award_id, author_id, subject_id, author_role, quality, communication, timeliness,
                         professionalism, comment, created_at, visible_from, weighing_amount)
        SELECT g, {n_prov} + 1 + g % {n_brand}, 1 + (g * 13) % {n_prov}, 'brand', 1 + g % 5, 1 + (g * 3) % 5,
               1 + (g * 7) % 5, 1 + (g * 11) % 5, '', now() - (g % 700) * interval '1 day',
               now() - (g % 700) * interval '1 day' + interval '14 days', 50000 + (g * 7919) % 500000
        FROM generate_series(1, {n_prize}) g;
    ANALYZE;
    """  # noqa: S608 (integers computed here, no outside input)
    for statement in sql.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    db.session.commit()
    return {"providers": n_prov, "contracts": n_con, "reviews": n_con * REVIEWS_PER_CONTRACT + n_prize,
            "contest_prizes": n_prize}


BASELINE = ("SELECT subject_id, count(*), avg((quality + communication + timeliness + professionalism) / 4.0) "
            "FROM reviews WHERE author_role = 'brand' AND hidden_at IS NULL GROUP BY subject_id")


def vacuum(db) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def baseline(db) -> tuple[float, int]:
    """The median of three runs of the raw aggregate (fetched, as the recompute's results are used)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        rows = db.session.execute(text(BASELINE)).all()
        times.append(time.perf_counter() - start)
    db.session.rollback()
    return statistics.median(times), len(rows)


def nightly_job() -> tuple[dict, float, int, int]:
    """rating_jobs.recompute_all, then the partner-badges job it queued (taken off the queue and run
    here): the job's result, the badges' time, how many badge jobs were queued and the badges held."""
    result = rating_runner.recompute_all()
    badge_jobs = [job for job in queue("default").get_jobs() if job.func_name.endswith(".award_partner_badges")]
    for job in badge_jobs:
        job.delete()
    start = time.perf_counter()
    holders = rating_runner.award_badges()
    return result, time.perf_counter() - start, len(badge_jobs), holders


def timed_recompute(db, label: str) -> None:
    """One nightly job timed against the baseline: the recompute on its own (the badges' time is
    subtracted from the whole and shown apart)."""
    base, rated = baseline(db)
    before = peak_mb()
    start = time.perf_counter()
    result, badges_took, queued, holders = nightly_job()
    took = time.perf_counter() - start - badges_took
    print(f"  {label}: baseline {base:5.2f} s ({rated:,} rated), recompute {took:5.2f} s, ratio {took / base:5.2f}×, "
          f"{result['changed']:,} ratings and {result['brands_changed']:,} brand scores changed; "
          f"then the badges job ({queued} queued) "
          f"{badges_took:4.2f} s, {holders:,} badges (recompute + badges: {(took + badges_took) / base:4.2f}×); "
          f"peak memory {before:,.0f} → {peak_mb():,.0f} MB")


def traced_recompute(label: str) -> None:
    """One more nightly job, untimed, under tracemalloc: the most memory Python held at once during it
    (the process's peak above hides anything below the high-water mark earlier steps left)."""
    tracemalloc.start()
    try:
        nightly_job()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"  {label}: Python allocations peaked at {peak / 2**20:5.2f} MB during the job")


def run(app, scale: float) -> None:
    with app.app_context():
        sizes = generate(db, scale)
        vacuum(db)
        print(f"scale {scale:>4}: {sizes['providers']:,} providers, {sizes['contracts']:,} contracts, "
              f"{sizes['reviews']:,} reviews")
        timed_recompute(db, "(a) first run  ")
        vacuum(db)  # the day between the runs
        with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
            timed_recompute(db, "(b) next night ")
        with time_machine.travel(utcnow() + timedelta(days=2), tick=True):
            traced_recompute("(c) the night after")


if __name__ == "__main__":
    run_scales("ratings", run)
