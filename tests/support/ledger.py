"""Reading the ledger and the reconciliation in tests, and breaking the ledger on purpose."""
from dataclasses import dataclass

from hypothesis.stateful import invariant
from sqlalchemy import func, select, text

from extensions import db
from models import LedgerAccount, LedgerEntry, LedgerPosting
from services import ledger, reconciliation


def balances(caller) -> dict:
    """The caller's balances by account kind, as GET /me shows them."""
    return {b["account"].split(":")[0]: b["amount"] for b in caller.get("/me").json["balances"]}


def postings(app, kind=None) -> int:
    """How many postings (of one kind) the ledger holds."""
    with app.app_context():
        stmt = select(func.count()).select_from(LedgerPosting)
        if kind:
            stmt = stmt.where(LedgerPosting.kind == kind)
        return db.session.scalar(stmt)


def totals_by_kind() -> dict[str, int]:
    """What every account kind holds in sum, over the whole ledger (the stateful tests' conservation checks)."""
    rows = db.session.execute(select(LedgerAccount.kind, func.sum(LedgerEntry.amount))
                              .join(LedgerEntry).group_by(LedgerAccount.kind))
    return {kind: int(total) for kind, total in rows}


class BalancedPostings:
    """Mixed into a hypothesis state machine: after every step each posting's entries sum to zero."""

    @invariant()
    def postings_balance(self):
        assert ledger.unbalanced_postings() == []


@dataclass
class Result:
    id: int
    ok: bool
    checked: dict
    differences: list

    def of(self, check: str) -> list[dict]:
        return [d for d in self.differences if d["check"] == check]


def reconcile(app, **kw) -> Result:
    """Run the reconciliation the way its job does (run, then commit) and read the stored run."""
    with app.app_context():
        run = reconciliation.run(**kw)
        db.session.commit()
        return Result(run.id, run.ok, dict(run.checked), list(run.differences))


def slip_in_entry(app, posting_key: str, milestone_id: int, amount: int) -> int:
    """An entry on the milestone's escrow account inside posting `posting_key`, written straight into the
    table past the ORM's append-only guard and services.ledger's balance rule. Returns the posting's id."""
    with app.app_context():
        escrow = db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.kind == "escrow",
                                                                  LedgerAccount.milestone_id == milestone_id))
        posting = db.session.scalar(select(LedgerPosting.id).where(LedgerPosting.key == posting_key))
        db.session.execute(text("INSERT INTO ledger_entries (posting_id, account_id, amount, currency) "
                                "VALUES (:posting, :account, :amount, 'CNY')"),
                           {"posting": posting, "account": escrow, "amount": amount})
        db.session.commit()
        return posting
