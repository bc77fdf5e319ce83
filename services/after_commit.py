"""Work that belongs to a transaction's outcome: done once it commits, or undone once it rolls back.

The app's one pair of session listeners. Call it by name where the work arises:
- `on_commit(fn, *args)`: run `fn(*args)` after the outermost commit — queue a job that reads the
  rows just written, mark a provider for re-rating. A worker must never look before the rows exist.
- `on_commit_batch(fn, item)`: after the commit, call `fn(items)` once with every item collected in
  the transaction (mark every provider a transaction touched for re-rating, in one round trip).
- `on_rollback(fn, *args)`: run `fn(*args)` after the transaction rolls back — delete a file that was
  stored for rows that no longer exist.
- `transaction_local(name)`: a dict that lives as long as the transaction (what it already asked for).
The same call registered twice in one transaction runs once. A savepoint's rollback undoes nothing
here: the outer transaction decides.

After-commit work never turns a committed write into an error: the write is done and the request
must say so. A failing callback (Redis down, say) is logged. Nothing durable depends on a callback:
jobs are recorded in the transaction itself (an outbox row, services/tasks.after_commit) and so are
rating marks (services/rating_jobs.py); the callbacks only make them happen sooner, and periodic
relays and sweeps (workers/schedule.py) do what a failed callback did not.
"""
import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db

log = logging.getLogger(__name__)
_KEY = "witkey_after_transaction"  # in Session.info: {"commit": {(fn, args): None}, "batch": {fn: {item: None}},
#                                    "rollback": {(fn, args): None}, "local": {name: {}}}


def on_commit(fn: Callable, *args) -> None:
    _pending(db.session())["commit"].setdefault((fn, args))


def on_commit_batch(fn: Callable, item, *, session: Session | None = None) -> None:
    """`session`: the one whose commit counts, when it is not the app's (a session event's own)."""
    _pending(session if session is not None else db.session())["batch"].setdefault(fn, {}).setdefault(item)


def on_rollback(fn: Callable, *args) -> None:
    _pending(db.session())["rollback"].setdefault((fn, args))


def transaction_local(name: str) -> dict:
    """A dict of the current transaction, dropped when it commits or rolls back."""
    return _pending(db.session())["local"].setdefault(name, {})


def _pending(session: Session) -> dict:
    return session.info.setdefault(_KEY, {"commit": {}, "batch": {}, "rollback": {}, "local": {}})


def _run(calls: dict, outcome: str) -> None:
    for fn, args in calls:
        try:
            fn(*args)
        except Exception:  # the transaction's outcome stands; the sweep catches up
            log.exception("after %s: %s%r failed", outcome, getattr(fn, "__qualname__", fn), args)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if pending:
        _run(pending["commit"], "commit")
        _run({(fn, (tuple(items),)): None for fn, items in pending["batch"].items()}, "commit")


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if session.in_transaction():  # a savepoint (or an inner transaction) rolled back: not over yet
        return
    pending = session.info.pop(_KEY, None)
    if pending:
        _run(pending["rollback"], "rollback")
