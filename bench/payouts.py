"""A settlement batch on PostgreSQL against raw SQL writing the same rows (payouts, postings, entries).

    DATABASE_URL=postgresql://root@127.0.0.1:5432/test .venv/bin/python -m bench.payouts [--scale 1.0]

Builds a separate `<db>_bench_payouts` database with 20,000 providers (× scale), each with three
released milestones credited to its payable (two past the holding period, one still on hold) and
bank details, then times (1) the baseline — the rows the batch writes, as raw SQL: a batch row, then
INSERT … SELECT of one payout row (the same columns the batch fills), one posting and two entries per
provider, committed and then removed again — and (2) the settlement batch (services.payouts.run_batch on the
bank backend: eligibility per provider, payouts, postings, entries, progress commits), and prints
both, their ratio and the process's peak memory before and after the batch. A 10 % scale runs first
in the same process, so flat memory shows as an unchanged peak. Target (issue 21): ratio ≤ 2.
"""
import time

from sqlalchemy import text

from bench.common import peak_mb, run_scales
from extensions import db
from services.runners import payout_batch

PROVIDERS = 20_000


def generate(db, providers: int) -> None:
    """Verified providers (an unverified one's payable waits) with bank details and three releases each:
    30 and 10 days old (payable) and 1 day old (held)."""
    sql = f"""
    TRUNCATE payouts, payout_batches, payout_accounts, ledger_entries, ledger_postings, ledger_accounts, users
        RESTART IDENTITY CASCADE;
    INSERT INTO users (email, password_hash, role, display_name, timezone, active, created_at, email_verified_at)
        SELECT 'p' || g || '@bench', 'x', 'provider', 'Provider ' || g, 'Asia/Shanghai', true, now(), now()
        FROM generate_series(1, {providers}) g;
    INSERT INTO payout_accounts (provider_id, stripe_payouts_enabled, stripe_details_submitted, bank_account_name,
                                 bank_name, bank_account_number, updated_at)
        SELECT g, false, false, 'Provider ' || g || ' Ltd', 'ICBC Shanghai', '6222' || lpad(g::text, 12, '0'), now()
        FROM generate_series(1, {providers}) g;
    INSERT INTO ledger_accounts (key, kind, currency, lock_version, created_at)
        VALUES ('bank_clearing:CNY', 'bank_clearing', 'CNY', 0, now());
    INSERT INTO ledger_accounts (key, kind, currency, user_id, lock_version, created_at)
        SELECT 'provider_payable:user:' || g || '\\:CNY', 'provider_payable', 'CNY', g, 0, now()
        FROM generate_series(1, {providers}) g;
    INSERT INTO ledger_postings (key, kind, memo, meta, created_at)
        SELECT 'release:bench:' || g || ':' || r, 'release', 'bench', '{{}}',
               now() - (array[30, 10, 1])[r] * interval '1 day'
        FROM generate_series(1, {providers}) g, generate_series(1, 3) r;
    INSERT INTO ledger_entries (posting_id, account_id, amount, currency)
        SELECT p.id, a.id, s.sign * (50000 + (p.id * 7919) % 500000), 'CNY'
        FROM ledger_postings p
        JOIN ledger_accounts a ON a.key = 'provider_payable:user:' || split_part(p.key, ':', 3) || '\\:CNY'
        CROSS JOIN (VALUES (1)) s(sign)
        UNION ALL
        SELECT p.id, 1, -(50000 + (p.id * 7919) % 500000), 'CNY' FROM ledger_postings p;
    ANALYZE;
    """  # noqa: S608 (integers computed here, no outside input)
    for statement in sql.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    db.session.commit()


def baseline(db, providers: int) -> float:
    """The rows a batch writes — its batch row; per provider a `payouts` row with the columns the batch
    fills (amount, method, status, and the destination copied from the provider's bank details) and a
    posting with one entry on that provider's payable and one on the clearing account — as plain
    INSERT … SELECT, then removed again. (No eligibility is computed: that is the batch's own work.)"""
    start = time.perf_counter()
    batch_id = db.session.scalar(text("""
        INSERT INTO payout_batches (method, status, cutoff, min_amount, created_at, closed_at)
        VALUES ('bank', 'closed', now(), 0, now(), now()) RETURNING id"""))
    db.session.execute(text("""
        INSERT INTO payouts (batch_id, provider_id, currency, amount, method, status, destination, payee_name,
                             payee_bank, created_at, kind)
        SELECT :batch_id, provider_id, 'CNY', 100, 'bank', 'pending', bank_account_number, bank_account_name,
               bank_name, now(), 'earnings'
        FROM payout_accounts"""), {"batch_id": batch_id})
    db.session.execute(text(f"""
        INSERT INTO ledger_postings (key, kind, memo, reference, meta, created_at)
        SELECT 'baseline:' || g, 'payout', 'baseline', 'baseline', '{{}}', now()
        FROM generate_series(1, {providers}) g"""))  # noqa: S608
    db.session.execute(text("""
        INSERT INTO ledger_entries (posting_id, account_id, amount, currency)
        SELECT p.id, a.id, -100, 'CNY' FROM ledger_postings p
        JOIN ledger_accounts a ON a.kind = 'provider_payable' AND a.user_id = split_part(p.key, '\\:', 2)::int
        WHERE p.key LIKE 'baseline:%'
        UNION ALL
        SELECT p.id, 1, 100, 'CNY' FROM ledger_postings p WHERE p.key LIKE 'baseline:%'"""))
    db.session.commit()
    elapsed = time.perf_counter() - start
    db.session.execute(text("DELETE FROM ledger_entries WHERE posting_id IN "
                            "(SELECT id FROM ledger_postings WHERE key LIKE 'baseline:%')"))
    db.session.execute(text("DELETE FROM ledger_postings WHERE key LIKE 'baseline:%'"))
    db.session.execute(text("DELETE FROM payouts WHERE batch_id = :batch_id"), {"batch_id": batch_id})
    db.session.execute(text("DELETE FROM payout_batches WHERE id = :batch_id"), {"batch_id": batch_id})
    db.session.commit()
    return elapsed


def settle(db) -> None:
    """Start each timed run from the same state: statistics fresh, no checkpoint or vacuum pending."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))


def run(app, scale: float) -> None:
    providers = int(PROVIDERS * scale)
    with app.app_context():
        generate(db, providers)
        settle(db)
        base = baseline(db, providers)
        settle(db)
        before = peak_mb()
        start = time.perf_counter()
        result = payout_batch.run_batch(payout_batch.start_batch(None).id)
        batch = time.perf_counter() - start
        print(f"scale {scale:>4}: {providers:,} providers, {3 * providers:,} releases")
        print(f"  baseline (raw SQL, {providers:,} payouts + postings, {2 * providers:,} entries): {base:8.2f} s")
        print(f"  settlement batch ({result['payouts']:,} payouts, {sum(result['totals'].values()) / 100:,.2f} CNY): "
              f"{batch:8.2f} s   ratio {batch / base:5.2f}×")
        print(f"  peak memory: {before:,.0f} MB before the batch, {peak_mb():,.0f} MB after")


if __name__ == "__main__":
    run_scales("payouts", run)
