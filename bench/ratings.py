"""Full rating recompute on PostgreSQL against a raw-SQL aggregate over the same reviews.

    DATABASE_URL=postgresql://root@127.0.0.1:5432/test .venv/bin/python -m bench.ratings [--scale 1.0]

Builds a separate `<db>_bench_ratings` database with 50,000 providers, 200,000 contracts and
1,000,000 reviews (× scale), then times (1) the baseline — one GROUP BY over all reviews — and
(2) the full recompute (services.rating_jobs.recompute_all), and prints both, their ratio and the
process's peak memory before and after the recompute. It also runs a 10 % scale first in the same
process, so flat memory shows as an unchanged peak. Target: ratio ≤ 3.
"""
import argparse
import os
import resource
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROVIDERS, BRANDS, CONTRACTS, REVIEWS_PER_CONTRACT = 50_000, 5_000, 200_000, 5


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_database(url: str) -> str:
    url = make_url(url)
    name = f"{url.database}_bench_ratings"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def generate(db, scale: float) -> dict:
    """Synthetic but shaped like the market: every contract settled, five brand reviews each (no
    provider review, so each is public from the close of its contract's review window)."""
    n_prov, n_brand, n_con = int(PROVIDERS * scale), int(BRANDS * scale), int(CONTRACTS * scale)
    sql = f"""
    TRUNCATE reviews, milestones, contracts, bids, tenders, provider_profiles, brand_profiles, users
        RESTART IDENTITY CASCADE;
    INSERT INTO users (email, password_hash, role, display_name, timezone, active, created_at)
        SELECT 'p' || g || '@bench', 'x', 'provider', 'Provider ' || g, 'Asia/Shanghai', true, now()
        FROM generate_series(1, {n_prov}) g;
    INSERT INTO users (email, password_hash, role, display_name, timezone, active, created_at)
        SELECT 'b' || g || '@bench', 'x', 'brand', 'Brand ' || g, 'Asia/Shanghai', true, now()
        FROM generate_series(1, {n_brand}) g;
    INSERT INTO provider_profiles (user_id, company_name, description, verification_status, updated_at)
        SELECT g, 'Provider ' || g, '', 'verified', now() FROM generate_series(1, {n_prov}) g;
    INSERT INTO brand_profiles (user_id, store_name, size_tier, updated_at)
        SELECT {n_prov} + g, 'Brand ' || g, (ARRAY['small','growing','large','flagship'])[1 + g % 4], now()
        FROM generate_series(1, {n_brand}) g;
    INSERT INTO tenders (brand_id, title, category, description, budget_min, budget_max, currency, bid_deadline,
                         sealed, sealed_opening, invited_only, requires_verified, rounds, status, created_at,
                         updated_at)
        SELECT {n_prov} + 1 + g % {n_brand}, 'T' || g, 'design', 'bench tender', 1, 10000000, 'CNY', now(),
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
                            released_at)
        SELECT g, 0, 'All', 100000 + (g * 7919) % 5000000, 'CNY', 'released', now(), now(),
               now() - (g % 700) * interval '1 day'
        FROM generate_series(1, {n_con}) g;
    INSERT INTO reviews (contract_id, author_id, subject_id, author_role, quality, communication, timeliness,
                         professionalism, comment, created_at, visible_from)
        SELECT c, {n_prov} + 1 + (c + r) % {n_brand}, 1 + c % {n_prov}, 'brand', 1 + (c + r) % 5, 1 + (c * r) % 5,
               1 + (c + 2 * r) % 5, 1 + (c + 3 * r) % 5, '', now() - ((c + r) % 900) * interval '1 day',
               now() - (c % 700) * interval '1 day' + interval '14 days'
        FROM generate_series(1, {n_con}) c, generate_series(1, {REVIEWS_PER_CONTRACT}) r;
    ANALYZE;
    """  # noqa: S608 (integers computed here, no outside input)
    for statement in sql.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    db.session.commit()
    return {"providers": n_prov, "contracts": n_con, "reviews": n_con * REVIEWS_PER_CONTRACT}


def run(app, scale: float) -> None:
    from extensions import db
    from services import rating_jobs

    with app.app_context():
        sizes = generate(db, scale)
        start = time.perf_counter()
        rows = db.session.execute(text(
            "SELECT subject_id, count(*), avg((quality + communication + timeliness + professionalism) / 4.0) "
            "FROM reviews WHERE author_role = 'brand' AND hidden_at IS NULL GROUP BY subject_id")).all()
        baseline = time.perf_counter() - start
        before = peak_mb()
        start = time.perf_counter()
        result = rating_jobs.recompute_all()
        full = time.perf_counter() - start
        print(f"scale {scale:>4}: {sizes['providers']:,} providers, {sizes['contracts']:,} contracts, "
              f"{sizes['reviews']:,} reviews ({len(rows):,} rated)")
        print(f"  baseline (one GROUP BY over reviews): {baseline:8.2f} s")
        print(f"  full recompute ({result['done']:,} providers): {full:8.2f} s   ratio {full / baseline:5.2f}×")
        print(f"  peak memory: {before:,.0f} MB before the recompute, {peak_mb():,.0f} MB after")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("bench.ratings needs DATABASE_URL=postgresql://… (it creates its own database)")
    os.environ["DATABASE_URL"] = fresh_database(url)
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade()
    for scale in sorted({round(args.scale * 0.1, 3), args.scale}):
        run(app, scale)


if __name__ == "__main__":
    main()
