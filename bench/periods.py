"""The period sweep (services/runners/periods.py) over running retainer contracts on PostgreSQL, against
raw SQL inserting the same postings in the same run.

    DATABASE_URL=postgresql://root@127.0.0.1:5432/test .venv/bin/python -m bench.periods [--scale 1.0]

Builds a separate `<db>_bench_periods` database with 20,000 running retainer contracts (× scale) of one
brand and one provider, each with its first period funded (its posting in the ledger) and running (its
start not yet announced) and its second due to start in two days with auto-fund on, and a wallet holding
exactly what the second periods need. Then times (1) the baseline: the same rows the sweep writes — per
due period its escrow account, the `fund:milestone:<id>` posting with its two entries (wallet −, escrow
+), the status change, its event, the provider's and the brand's notices and the milestone.funded
webhook event; per running period the start stamp and the provider's notice — as one hand-written INSERT
… SELECT or UPDATE per kind of row, rolled back; and (2) the sweep (`periods.run`: auto-fund, reminders,
start notices, CHUNK periods per transaction, with its locks and checks). The comparison is fair in what
is written; the sweep also pays for its row locks, its checks (two-member rule, suspended providers,
wallet balance, posting keys) and a commit per chunk. Prints both, their ratio and the process's peak
memory before and after the sweep; a 10 % scale runs first in the same process, so flat memory shows as
an unchanged peak. Target: ratio ≤ 3.
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
        VALUES (1, 1, -{2 * contracts * FEE}, 'CNY'), (1, 2, {2 * contracts * FEE}, 'CNY');
    INSERT INTO ledger_accounts (key, kind, currency, milestone_id, lock_version, created_at)
        SELECT 'escrow:milestone:' || id || '\\:CNY', 'escrow', 'CNY', id, 0, now() FROM milestones
        WHERE status = 'funded';
    INSERT INTO ledger_postings (key, kind, memo, milestone_id, actor_id, meta, created_at)
        SELECT 'fund:milestone:' || id, 'fund', title, id, 1, '{{}}', now() - interval '28 days' FROM milestones
        WHERE status = 'funded';
    ANALYZE ledger_postings, ledger_accounts;
    INSERT INTO ledger_entries (posting_id, account_id, amount, currency)
        SELECT id, 2, -{FEE}, 'CNY' FROM ledger_postings WHERE kind = 'fund'
        UNION ALL
        SELECT p.id, a.id, {FEE}, 'CNY' FROM ledger_postings p JOIN ledger_accounts a ON a.milestone_id = p.milestone_id
        WHERE p.kind = 'fund';
    ANALYZE;
    """  # noqa: S608 (integers computed here, no outside input)
    for statement in sql.split(";"):
        if statement.strip():
            db.session.execute(text(statement))
    db.session.commit()


BASELINE = [
    # auto-fund, per due period: its escrow account, the posting with an entry on the wallet and one on
    # that escrow, the status change, its event, the provider's and the brand's notices, the webhook event
    """WITH due AS (SELECT id, title, amount FROM milestones WHERE status = 'pending'),
       escrow AS (INSERT INTO ledger_accounts (key, kind, currency, milestone_id, lock_version, created_at)
                  SELECT 'escrow:milestone:' || id || '\\:CNY', 'escrow', 'CNY', id, 0, now() FROM due
                  RETURNING id, milestone_id),
       posted AS (INSERT INTO ledger_postings (key, kind, memo, milestone_id, actor_id, meta, created_at)
                  SELECT 'fund:milestone:' || id, 'fund', title, id, 1, '{}', now() FROM due
                  RETURNING id, milestone_id)
       INSERT INTO ledger_entries (posting_id, account_id, amount, currency)
       SELECT p.id, 2, -d.amount, 'CNY' FROM posted p JOIN due d ON d.id = p.milestone_id
       UNION ALL
       SELECT p.id, e.id, d.amount, 'CNY' FROM posted p JOIN due d ON d.id = p.milestone_id
       JOIN escrow e ON e.milestone_id = p.milestone_id""",
    """UPDATE milestones SET status = 'funded', funded_at = now(), funded_amount = amount WHERE status = 'pending'
       AND id IN (SELECT milestone_id FROM ledger_postings WHERE kind = 'fund' AND created_at = now())""",
    """INSERT INTO milestone_events (milestone_id, kind, actor_id, note, data, created_at)
       SELECT milestone_id, 'funded', 1, '', '{"source": "wallet"}', now() FROM ledger_postings
       WHERE kind = 'fund' AND created_at = now()""",
    """INSERT INTO notifications (user_id, kind, params, endpoint, url_args, anchor, created_at, digest_pending)
       SELECT u, k, json_build_object('milestone', m.title, 'tender', t.title, 'about',
                                      json_build_object('type', 'contract', 'id', c.id, 'title', t.title)),
              'contracts.detail', json_build_object('contract_id', c.id), 'milestone-' || m.id, now(), false
       FROM ledger_postings p JOIN milestones m ON m.id = p.milestone_id JOIN contracts c ON c.id = m.contract_id
       JOIN tenders t ON t.id = c.tender_id, (VALUES (2, 'milestone_funded'), (1, 'period_auto_funded')) n (u, k)
       WHERE p.kind = 'fund' AND p.created_at = now()""",
    """INSERT INTO webhook_events (public_id, type, resource, data, audience, public, created_at)
       SELECT 'evt_' || substr(md5(random()::text), 1, 24), 'milestone.funded', 'milestone:' || m.id,
              json_build_object('milestone', json_build_object('id', m.id, 'contract_id', m.contract_id,
                                'title', m.title, 'amount', m.amount, 'currency', 'CNY', 'status', 'funded')),
              '[1, 2]', false, now()
       FROM ledger_postings p JOIN milestones m ON m.id = p.milestone_id WHERE p.kind = 'fund'
       AND p.created_at = now()""",
    # open, per period started and not yet announced: the stamp and the provider's notice
    """WITH started AS (UPDATE milestones SET start_notice_sent_at = now() WHERE starts_at <= now()
                        AND start_notice_sent_at IS NULL RETURNING id, contract_id, title)
       INSERT INTO notifications (user_id, kind, params, endpoint, url_args, anchor, created_at, digest_pending)
       SELECT 2, 'period_started', json_build_object('milestone', s.title, 'tender', t.title, 'about',
                                                     json_build_object('type', 'contract', 'id', c.id,
                                                                       'title', t.title)),
              'contracts.detail', json_build_object('contract_id', c.id), 'milestone-' || s.id, now(), false
       FROM started s JOIN contracts c ON c.id = s.contract_id JOIN tenders t ON t.id = c.tender_id""",
]


def baseline() -> float:
    """The rows the sweep writes, written by hand-made SQL (one INSERT … SELECT or UPDATE per kind of
    row, no locks, no checks, no chunks; then rolled back): what the sweep is held to."""
    start = time.perf_counter()
    for statement in BASELINE:
        db.session.execute(text(statement))
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
        funded = db.session.scalar(text("SELECT count(*) FROM ledger_postings WHERE kind = 'fund'")) - contracts
        again = periods.run(utcnow() + timedelta(minutes=1))  # safe twice: nothing left to do
        print(f"scale {scale:>4}: {contracts:,} running retainer contracts")
        print(f"  baseline (raw SQL, the same {contracts:,} postings, {2 * contracts:,} entries, events, notices): "
              f"{base:8.2f} s")
        print(f"  period sweep ({result['auto_funded']:,} auto-funded, {funded:,} fund postings, "
              f"{result['opened']:,} started): {sweep:8.2f} s   ratio {sweep / base:6.2f}×")
        print(f"  second run: {again}")
        print(f"  peak memory: {before:,.0f} MB before the sweep, {peak_mb():,.0f} MB after")


if __name__ == "__main__":
    run_scales("periods", run)
