"""The period sweep (services/runners/periods.py) over running retainer contracts on PostgreSQL, against
raw SQL inserting the same postings in the same run.

    DATABASE_URL=postgresql://root@127.0.0.1:5432/test .venv/bin/python -m bench.periods [--scale 1.0]

Builds a separate `<db>_bench_periods` database with 20,000 running retainer contracts (× scale) of one
brand and one provider, each with its first period funded and running and its second due to start in
two days with auto-fund on, and a wallet holding exactly what the second periods need. Then times
(1) the baseline — one `fund:milestone:<id>` posting with its two entries (wallet −, escrow +) per due
period, and the escrow accounts, as INSERT … SELECT, rolled back — and (2) the sweep (`periods.run`:
auto-fund every due period, each in its own transaction with its status change, event, notification
and webhook event; then the start notices of the running periods). Prints both, their ratio and the
process's peak memory before and after the sweep; a 10 % scale runs first in the same process, so
flat memory shows as an unchanged peak. Target: ratio ≤ 3.
"""
import time
from datetime import timedelta

from sqlalchemy import text

from bench.common import peak_mb, run_scales
from extensions import db
from models.types import utcnow
from services.runners import periods

CONTRACTS = 20_000
FEE = 100_00


def generate(contracts: int) -> None:
    sql = f"""
    TRUNCATE notifications, webhook_events, milestone_events, milestones, contracts, bids, tender_kpis, tenders,
        ledger_entries, ledger_postings, ledger_accounts, users RESTART IDENTITY CASCADE;
    INSERT INTO users (email, password_hash, role, display_name, timezone, active, created_at)
        VALUES ('brand@bench', 'x', 'brand', 'Brand', 'Asia/Shanghai', true, now()),
               ('provider@bench', 'x', 'provider', 'Provider', 'Asia/Shanghai', true, now());
    INSERT INTO tenders (brand_id, title, category, description, budget_min, budget_max, currency, bid_deadline,
                         sealed, sealed_opening, invited_only, requires_verified, blind_grading, rounds, status,
                         created_at, updated_at, engagement, period_days, periods)
        SELECT 1, 'Retainer ' || g, 'customer_service', 'Chat support', 1, {FEE}, 'CNY', now() - interval '5 days',
               false, false, false, false, false, '["proposal"]', 'awarded', now(), now(), 'retainer', 30, 6
        FROM generate_series(1, {contracts}) g;
    INSERT INTO bids (tender_id, provider_id, status, amount, currency, delivery_days, proposal, revision,
                      round_index, created_at, updated_at)
        SELECT g, 2, 'awarded', {FEE}, 'CNY', 30, 'p', 1, 0, now(), now() FROM generate_series(1, {contracts}) g;
    INSERT INTO contracts (tender_id, bid_id, brand_id, provider_id, amount, currency, status, created_at,
                           engagement, auto_fund)
        SELECT g, g, 1, 2, 6 * {FEE}, 'CNY', 'active', now(), 'retainer', true FROM generate_series(1, {contracts}) g;
    INSERT INTO milestones (contract_id, position, title, amount, currency, status, due_at, created_at, funded_at,
                            period_index, starts_at, base_amount, funded_amount, released_amount)
        SELECT g, p, 'Period ' || (p + 1), {FEE}, 'CNY', CASE p WHEN 0 THEN 'funded' ELSE 'pending' END,
               now() + ((p + 1) * 30 - 28) * interval '1 day', now(), CASE p WHEN 0 THEN now() END,
               p, now() + (p * 30 - 28) * interval '1 day', {FEE}, CASE p WHEN 0 THEN {FEE} ELSE 0 END, 0
        FROM generate_series(1, {contracts}) g, generate_series(0, 1) p;
    INSERT INTO ledger_accounts (key, kind, currency, lock_version, created_at)
        VALUES ('bank_clearing:CNY', 'bank_clearing', 'CNY', 0, now());
    INSERT INTO ledger_accounts (key, kind, currency, user_id, lock_version, created_at)
        VALUES ('brand_wallet:user:1\\:CNY', 'brand_wallet', 'CNY', 1, 0, now());
    INSERT INTO ledger_postings (key, kind, memo, meta, created_at)
        VALUES ('deposit:bench', 'deposit', '', '{{}}', now());
    INSERT INTO ledger_entries (posting_id, account_id, amount, currency)
        VALUES (1, 1, -{contracts * FEE}, 'CNY'), (1, 2, {contracts * FEE}, 'CNY');
    ANALYZE;
    """  # noqa: S608 (integers computed here, no outside input)
    for statement in sql.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    db.session.commit()


def baseline() -> float:
    """What the sweep writes to the ledger: per due period an escrow account, and a posting with an entry
    on the wallet and one on that escrow, as plain INSERT … SELECT; then rolled back."""
    start = time.perf_counter()
    db.session.execute(text("""
        INSERT INTO ledger_accounts (key, kind, currency, milestone_id, lock_version, created_at)
        SELECT 'escrow:bench:' || id, 'escrow', 'CNY', id, 0, now() FROM milestones WHERE status = 'pending'"""))
    db.session.execute(text("""
        INSERT INTO ledger_postings (key, kind, memo, milestone_id, meta, created_at)
        SELECT 'fund:bench:' || id, 'fund', title, id, '{}', now() FROM milestones WHERE status = 'pending'"""))
    db.session.execute(text("""
        INSERT INTO ledger_entries (posting_id, account_id, amount, currency)
        SELECT p.id, 2, -m.amount, 'CNY' FROM ledger_postings p JOIN milestones m ON m.id = p.milestone_id
        WHERE p.key LIKE 'fund:bench:%'
        UNION ALL
        SELECT p.id, a.id, m.amount, 'CNY' FROM ledger_postings p JOIN milestones m ON m.id = p.milestone_id
        JOIN ledger_accounts a ON a.milestone_id = m.id AND a.kind = 'escrow' WHERE p.key LIKE 'fund:bench:%'"""))
    db.session.flush()
    elapsed = time.perf_counter() - start
    db.session.rollback()
    return elapsed


def settle() -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))


def run(app, scale: float) -> None:
    contracts = int(CONTRACTS * scale)
    with app.app_context():
        generate(contracts)
        settle()
        base = baseline()
        settle()
        before = peak_mb()
        start = time.perf_counter()
        result = periods.run(utcnow() + timedelta(minutes=1))
        sweep = time.perf_counter() - start
        funded = db.session.scalar(text("SELECT count(*) FROM ledger_postings WHERE kind = 'fund'"))
        again = periods.run(utcnow() + timedelta(minutes=1))  # safe twice: nothing left to do
        print(f"scale {scale:>4}: {contracts:,} running retainer contracts")
        print(f"  baseline (raw SQL, {contracts:,} postings + {2 * contracts:,} entries): {base:8.2f} s")
        print(f"  period sweep ({result['auto_funded']:,} auto-funded, {funded:,} fund postings, "
              f"{result['opened']:,} started): {sweep:8.2f} s   ratio {sweep / base:6.2f}×")
        print(f"  second run: {again}")
        print(f"  peak memory: {before:,.0f} MB before the sweep, {peak_mb():,.0f} MB after")


if __name__ == "__main__":
    run_scales("periods", run)
