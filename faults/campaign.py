"""The campaign: own servers, the app on them, the load, each fault in turn, the checks after each,
the table at the end. Everything it starts is stopped and its temporary directory removed on the way
out, whatever happened (a failed check, an exception, Ctrl-C, SIGTERM)."""
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
from flask_migrate import upgrade

from extensions import db
from faults import checks
from faults.cluster import Postgres, Redis, free_port
from faults.faults import FAULTS, Outcome
from faults.load import Client, Load, Party, Recorder, new_run_id
from faults.report import Row, render
from faults.stack import Stack, app_env
from services import accounts, two_factor

PASSWORD = "fault-campaign-2026"  # noqa: S105 - the campaign's throw-away accounts
APP_BOUND = 30.0  # seconds for the app to answer again after a fault
WORKER_GONE = 20.0  # a worker (or scheduler) missing this long fails the job checks at once


@dataclass
class Settings:
    faults: list[str]
    rounds: int = 1
    bound: float = 60.0  # seconds for stale ratings and open payout batches to be dealt with
    load_before: float = 4.0
    load_after: float = 2.0
    threads: int = 4
    brands: int = 4
    providers: int = 6
    launcher: str = "run.py"
    keep: bool = False  # keep the temporary directory (logs) for a look afterwards


@dataclass
class Campaign:
    settings: Settings
    base: Path
    pg: Postgres
    redis: Redis
    stack: Stack | None = None
    load: Load | None = None
    recorder: Recorder = field(default_factory=Recorder)
    staff: Party | None = None
    app: object = None
    run_id: str = field(default_factory=new_run_id)
    payout_batches: set = field(default_factory=set)

    def staff_client(self) -> Client:
        return Client(self.stack.url, self.staff.token, self.staff.user_id, self.recorder, self.run_id,
                      retry_for=20)


def _log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run(settings: Settings) -> int:
    """Returns 0 when every check passed, 1 otherwise."""
    base = Path(tempfile.mkdtemp(prefix="witkey-faults-"))
    base.chmod(0o755)  # the postgres user runs the cluster below it
    # Ctrl-C and SIGTERM both clean up (SIGINT set here too: a shell may start us with it ignored)
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    c = Campaign(settings, base, Postgres(base / "pg"), Redis(base))
    rows: list[Row] = []
    try:
        _setup(c)
        for round_no in range(settings.rounds):
            for name in settings.faults:
                _log(f"round {round_no + 1}/{settings.rounds}: {name}")
                row = _one_fault(c, name)
                rows.append(row)
                _log("ok" if row.ok else "FAILED: " + "; ".join(row.failures))
        print("\n" + render(rows, settings.bound), flush=True)
        reviewed = sum(1 for w in c.recorder.writes if w.op == "review" and w.status in (200, 201))
        if not reviewed:  # the flow stopped short (refused somewhere): no rating event was ever measured
            print("FAILED: the load never got as far as a review, so ratings were never put to the test", flush=True)
        print(f"{reviewed} reviews acknowledged: each marks a provider for re-rating", flush=True)
        return 0 if rows and all(r.ok for r in rows) and reviewed else 1
    except KeyboardInterrupt:
        _log("interrupted; cleaning up")
        if rows:
            print("\n" + render(rows, settings.bound), flush=True)
        return 130
    finally:
        _teardown(c)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _setup(c: Campaign) -> None:
    s = c.settings
    _log(f"PostgreSQL on port {c.pg.port}, Redis on port {c.redis.port}, under {c.base}")
    c.pg.init()
    c.redis.start()
    _log("servers up")
    env = app_env(c.pg.url, c.redis.url, c.base, free_port())
    c.stack = Stack(env, c.base, int(env["PORT"]), launcher=s.launcher)
    # The checks read the campaign's database through the app's own services, in this process; the
    # same app migrates it (`flask db upgrade`) and makes the staff account (`flask users create-admin`).
    for name in ("DATABASE_URL", "REDIS_URL", "WITKEY_INSTANCE", "SECRET_KEY", "PAYOUT_HOLD_DAYS", "PAYOUT_MIN"):
        os.environ[name] = env[name]
    from app import create_app  # noqa: PLC0415 - only once the environment names the campaign's servers

    c.app = create_app()
    with c.app.app_context():
        upgrade()
        # the load's accounts, made here rather than through the API: registration is not under test, and
        # each API registration and token costs two password hashes on a machine the web workers share
        c.staff = _account("admin", f"staff-{c.run_id}")
        brands = [_account("brand", f"brand{i}-{c.run_id}") for i in range(s.brands)]
        # providers with two factors, so that they can save payout details through the API (the payout fault)
        providers = [_account("provider", f"provider{i}-{c.run_id}", two_factors=True) for i in range(s.providers)]
        db.session.commit()
    _log(f"migrated; staff, {s.brands} brands and {s.providers} providers made")
    c.stack.start()
    _log(f"app ({s.launcher}) answering on {c.stack.url}")
    c.load = Load(c.stack.url, brands, providers, c.staff, recorder=c.recorder, run_id=c.run_id, threads=s.threads)


def _account(role: str, name: str, *, two_factors: bool = False) -> Party:
    email, secret = f"{name}@example.com", pyotp.random_base32()
    if role == "admin":
        user = accounts.create_admin(email=email, password=PASSWORD)
        two_factors = True  # staff act only with two factors
    else:
        user = accounts.register(email=email, password=PASSWORD, role=role, display_name=f"Fault {name}",
                                 email_verified=True)  # the operator vouches: no mail round trip
    if two_factors:
        two_factor.enrol_with_secret(user, secret)
    token, _row = accounts.issue_token(user, "fault campaign")
    db.session.flush()
    return Party(user.id, token, secret if two_factors else None)


def _teardown(c: Campaign) -> None:
    steps = [lambda: c.load and c.load.stop(5), lambda: c.stack and c.stack.stop(),
             lambda: c.redis.stop(kill=True), c.pg.stop]
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - clean up the rest whatever one step did
            _log(f"cleanup step failed: {exc!r}")
    if c.settings.keep:
        _log(f"kept {c.base}")
    else:
        shutil.rmtree(c.base, ignore_errors=True)


def _one_fault(c: Campaign, name: str) -> Row:
    s, row = c.settings, Row(fault=name)
    first = len(c.recorder)
    c.recorder.fault = name
    c.load.start()
    time.sleep(s.load_before)
    try:
        outcome = FAULTS[name](c)
    except Exception as exc:  # noqa: BLE001 - a fault that could not be injected is a failed row, not a crash
        outcome = Outcome(time.monotonic(), [f"fault not injected: {exc!r}"])
        row.failures.append(f"could not inject the fault: {exc!r}")
    row.notes += outcome.notes
    row.failures += outcome.failures
    if c.stack.wait_answering(APP_BOUND, c.staff.token):
        row.app_back = outcome.app_back if outcome.app_back is not None else time.monotonic() - outcome.ended
    else:
        row.failures.append(f"the app did not answer within {APP_BOUND:.0f} s "
                            f"(not running: {', '.join(c.stack.dead_parts()) or 'nothing missing'})")
    time.sleep(s.load_after)
    c.load.stop()

    writes = c.recorder.since(first)
    with c.app.app_context():
        verdict = checks.check_writes(writes)
        row.writes, row.acknowledged = verdict.checked, verdict.acknowledged
        row.lost, row.errored_committed = len(verdict.lost), len(verdict.errored_committed)
        row.unanswered_committed = len(verdict.unanswered_committed)
        for write in verdict.lost[:5]:
            row.failures.append(f"acknowledged write lost: {write.op} {write.path} key {write.key}")
        for write, attempt in verdict.errored_committed[:5]:
            row.failures.append(f"committed write answered {attempt.status}: {write.op} {write.path} "
                                f"{attempt.error[:80]!r}")
        if len(verdict.errored_committed) > 5:
            row.failures.append(f"… {len(verdict.errored_committed) - 5} more committed writes answered with an error")
        differences = checks.check_ledger()
        row.ledger_differences = len(differences)
        for difference in differences[:5]:
            row.failures.append(f"reconciliation: {difference}")
        _wait_for_jobs(c, row, outcome.ended)
        if outcome.payout_batch is not None and row.payouts is not None:  # closed by the app: paid right?
            _check_batch(c, row, outcome)
    # Still there after the wait? A part that died after the app first answered again (a worker that
    # exits on a lost Redis, a launcher that then stops everything) fails the fault here.
    if (missing := c.stack.dead_parts()) or not c.stack.answering(c.staff.token):
        row.failures.append(f"{time.monotonic() - outcome.ended:.0f} s after the fault the app "
                            f"{'is not answering' if not c.stack.answering(c.staff.token) else 'answers'}; "
                            f"not running: {', '.join(missing) or 'nothing missing'}")
    if not row.ok:
        _repair(c, row)
        if outcome.payout_batch is not None and row.payouts is None:  # finished by the repair: paid right?
            with c.app.app_context():
                _check_batch(c, row, outcome, " after the campaign's repair")
    return row


def _check_batch(c: Campaign, row: Row, outcome: Outcome, when: str = "") -> None:
    """The batch the fault killed, closed: every provider due paid, exactly once (checks.payout_batch_problems)."""
    problems = checks.payout_batch_problems(outcome.payout_batch, outcome.due_before)
    row.failures += [f"{problem}{when}" for problem in problems]
    if not problems:
        row.notes.append(f"batch {outcome.payout_batch} closed{when}: each of the {len(outcome.due_before)} "
                         "providers due paid once, each payout posted once, nothing due left from before its cutoff")


def _wait_for_jobs(c: Campaign, row: Row, ended: float) -> None:
    """Stale ratings and open payout batches, polled until none is left or the bound (from the
    fault's end) passes; a worker or scheduler missing for WORKER_GONE seconds ends the wait."""
    s = c.settings
    providers = set(c.load.providers_touched)
    row.ratings_checked = bool(providers)
    row.payouts_checked = checks.open_payout_batch() is not None or name_checks_payouts(row.fault)
    stale, batch, gone_since = None, None, None
    while True:
        stale = checks.stale_ratings(providers) if row.ratings_checked and row.ratings is None else []
        if row.ratings_checked and row.ratings is None and not stale:
            row.ratings = time.monotonic() - ended
        batch = checks.open_payout_batch() if row.payouts_checked and row.payouts is None else None
        if row.payouts_checked and row.payouts is None and batch is None:
            row.payouts = time.monotonic() - ended
        done = (not row.ratings_checked or row.ratings is not None) and \
            (not row.payouts_checked or row.payouts is not None)
        missing = [p for p in c.stack.dead_parts() if p in ("worker", "scheduler")]
        gone_since = (gone_since or time.monotonic()) if missing else None
        if done or time.monotonic() - ended > s.bound or \
                (gone_since is not None and time.monotonic() - gone_since > WORKER_GONE):
            break
        time.sleep(0.5)
    why = f" ({', '.join(missing)} not running)" if missing else ""
    if row.ratings_checked and row.ratings is None:
        row.failures.append(f"{len(stale)} providers' ratings still stale {s.bound:.0f} s after the fault{why}")
        row.notes.append(checks.rating_marks_state(stale))
    if row.payouts_checked and row.payouts is None:
        row.failures.append(f"payout batch {batch} still open {s.bound:.0f} s after the fault{why}")
    if row.ratings is not None and row.ratings > s.bound:
        row.failures.append(f"ratings took {row.ratings:.1f} s")
    if row.payouts is not None and row.payouts > s.bound:
        row.failures.append(f"payout batch took {row.payouts:.1f} s")


def name_checks_payouts(fault: str) -> bool:
    return "payout" in fault


def _repair(c: Campaign, row: Row) -> None:
    """Put things right for the next fault, as an operator would, and say so in the table: restart
    the stack if a part is gone or the app is not answering, rate the stale providers, finish the
    open batch."""
    # imported here: the runners are the repair, not part of what is measured
    from faults.repair import finish_open_batch, rerate  # noqa: PLC0415

    missing = c.stack.dead_parts()
    if missing or not c.stack.answering(c.staff.token):
        c.stack.restart()
        row.restarts += 1
        row.repairs.append(f"stack restarted (not running: {', '.join(missing) or 'none, but not answering'})")
    with c.app.app_context():
        if (n := rerate(c.load.providers_touched)):
            row.repairs.append(f"{n} stale ratings recomputed")
        if (batch := finish_open_batch()) is not None:
            row.repairs.append(f"payout batch {batch} finished")
