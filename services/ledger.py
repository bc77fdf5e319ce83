"""The one module that moves money: balanced double-entry postings with unique keys.

Every movement is a posting of ≥ 2 entries that sum to zero per currency, written in the caller's
transaction together with the state change it belongs to. A posting's key names the business event
("release:milestone:42"); the unique constraint on it means the event can never post twice, whatever
races or retries happen. Entries are never changed or deleted; balances are sums of entries.
"""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import JSON, String, cast, func, insert, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager, joinedload

from extensions import db
from models import LedgerAccount, LedgerEntry, LedgerPosting, Milestone, User
from models.types import utcnow
from services import bulk, permissions
from services.pagination import paginate


class UnbalancedPosting(ValueError):
    pass


def account_key(kind: str, currency: str, *, user_id: int | None = None, milestone_id: int | None = None,
                contest_id: int | None = None) -> str:
    owner = (f"user:{user_id}:" if user_id is not None else f"milestone:{milestone_id}:" if milestone_id
             else f"contest:{contest_id}:" if contest_id else "")
    return f"{kind}:{owner}{currency}"


def account(kind: str, currency: str, *, user_id: int | None = None, milestone_id: int | None = None,
            contest_id: int | None = None) -> LedgerAccount:
    """The account, created on first use. INSERT … ON CONFLICT DO NOTHING makes two racing first
    uses agree on one row without a savepoint. (Accounts have no contest column: a contest's account
    is named by its key alone, which is unique all the same.)"""
    key = account_key(kind, currency, user_id=user_id, milestone_id=milestone_id, contest_id=contest_id)
    found = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))
    if found is not None:
        return found
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(LedgerAccount).values(
        key=key, kind=kind, currency=currency, user_id=user_id, milestone_id=milestone_id, lock_version=0,
        created_at=utcnow()).on_conflict_do_nothing(index_elements=["key"]))
    return db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))


def contest_escrow(contest_id: int, currency: str) -> LedgerAccount:
    """Where a contest's prizes wait from publish to award: one account per contest."""
    return account("contest_escrow", currency, contest_id=contest_id)


def wallet(user: User, currency: str) -> LedgerAccount:
    """The wallet of the organisation `user` acts for (its principal's)."""
    return account("brand_wallet", currency, user_id=user.account_id)


def payable(user_id: int, currency: str) -> LedgerAccount:
    return account("provider_payable", currency, user_id=user_id)


def escrow(milestone) -> LedgerAccount:
    return account("escrow", milestone.currency, milestone_id=milestone.id)


def escrows(currencies: dict[int, str]) -> dict[int, int]:
    """`escrow` for many milestones at once, given as {milestone id: currency}: {milestone id: account
    id}, the missing accounts created in one INSERT … SELECT … ON CONFLICT DO NOTHING (a racing first
    use agrees on the same rows)."""
    if not currencies:
        return {}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # account_key("escrow", currency, milestone_id=id), in SQL
    key = literal("escrow:milestone:") + cast(Milestone.id, String) + literal(":") + Milestone.currency
    db.session.execute(insert(LedgerAccount).from_select(
        ["key", "kind", "currency", "milestone_id", "lock_version", "created_at"],
        select(key, literal("escrow"), Milestone.currency, Milestone.id, literal(0),
               literal(utcnow(), LedgerAccount.__table__.c.created_at.type))
        .where(bulk.among(Milestone.id, currencies))).on_conflict_do_nothing(index_elements=["key"]))
    keys = [account_key("escrow", currency, milestone_id=mid) for mid, currency in currencies.items()]
    # by the unique key: a condition on kind would lead the planner, whose statistics have not seen the
    # rows just written, through every escrow account ever opened
    return dict(db.session.execute(select(LedgerAccount.milestone_id, LedgerAccount.id)
                                   .where(bulk.among(LedgerAccount.key, keys))).all())


def revenue(currency: str) -> LedgerAccount:
    return account("platform_revenue", currency)


def processor_fees(currency: str) -> LedgerAccount:
    """What card processors (Stripe) kept of the money we took: a platform expense, so its balance is
    negative by the fees paid; net platform revenue is platform_revenue plus this."""
    return account("processor_fees", currency)


def clearing(kind: str, currency: str) -> LedgerAccount:
    assert kind in ("bank_clearing", "stripe_clearing", "payouts_clearing", "bank_suspense")
    return account(kind, currency)


# The advisory lock a settlement batch holds while it debits a chunk of payables (PostgreSQL).
PAYABLES_LOCK = 0x5749544B  # "WITK"


def lock(acc: LedgerAccount) -> None:
    """Hold the account until commit, so a balance read next stays true while we post against it.
    A provider's payable is also debited, set-based, by settlement batches, which do not lock its row
    (row locks on thousands of accounts would make every foreign-key check of the batch's entries
    twice as slow): they hold PAYABLES_LOCK exclusively instead, and a payable's lock shares it."""
    if acc.kind == "provider_payable" and _postgres():
        db.session.execute(select(func.pg_advisory_xact_lock_shared(PAYABLES_LOCK)))
    db.session.execute(update(LedgerAccount).where(LedgerAccount.id == acc.id)
                       .values(lock_version=LedgerAccount.lock_version + 1))


def lock_payables_for_settlement() -> None:
    """Until commit, no payable is debited elsewhere (see `lock`). On SQLite the batch's first write
    takes the database write lock before it reads, which serialises the same way."""
    if _postgres():
        db.session.execute(select(func.pg_advisory_xact_lock(PAYABLES_LOCK)))


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def balance(acc: LedgerAccount) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                             .where(LedgerEntry.account_id == acc.id))


def is_posted(key: str) -> bool:
    return db.session.scalar(select(LedgerPosting.id).where(LedgerPosting.key == key)) is not None


def post(key: str, kind: str, entries: list[tuple[LedgerAccount, int]], *, memo: str = "",
         milestone_id: int | None = None, actor_id: int | None = None, reference: str | None = None,
         meta: dict | None = None) -> LedgerPosting:
    """Write one balanced posting. Raises UnbalancedPosting for a malformed one (a bug, never user
    input); a second posting with the same key fails on the unique constraint at flush."""
    entries = [(acc, amount) for acc, amount in entries if amount != 0]
    totals: dict[str, int] = defaultdict(int)
    for acc, amount in entries:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise UnbalancedPosting(f"{key}: amounts are integers in minor units")
        totals[acc.currency] += amount
    if len(entries) < 2 or any(totals.values()):
        raise UnbalancedPosting(f"{key}: entries must be ≥ 2 and sum to zero per currency, got {dict(totals)}")
    posting = LedgerPosting(key=key, kind=kind, memo=memo[:500], milestone_id=milestone_id, actor_id=actor_id,
                            reference=reference, meta=meta or {})
    posting.entries = [LedgerEntry(account_id=acc.id, amount=amount, currency=acc.currency)
                       for acc, amount in entries]
    db.session.add(posting)
    db.session.flush()
    return posting


def post_transfers(rows, kind: str, *, meta: dict | None = None) -> int:
    """Set-based twin of `post` for many two-entry postings at once (settlement batches).

    `rows` is a SELECT of (key, memo, reference, from_account_id, to_account_id, amount, currency),
    optionally with milestone_id and actor_id (stored on the posting, as `post` does); each row becomes
    posting `key` with entries −amount on the first account and +amount on the second, so every
    posting balances by construction, and the unique key still refuses a posting made twice. No row
    loop in Python. On PostgreSQL it is one statement (data-modifying CTEs: `rows` may itself be built
    on an INSERT … RETURNING); elsewhere two, reading `rows` twice, so there it must not depend on the
    postings being written (select fixed ids, not "unposted ones"). Returns the number of postings."""
    postings, entries = LedgerPosting.__table__, LedgerEntry.__table__
    one_statement = db.session.get_bind().dialect.name == "postgresql"
    if one_statement:  # each row numbered with its posting's id first, so the entries need no join back
        source = rows.subquery("transfer_source")
        # the sequence looked up once (an InitPlan), not per row: pg_get_serial_sequence is a catalog lookup
        # per call, several times the cost of the nextval it feeds
        sequence = cast(select(func.pg_get_serial_sequence(postings.name, "id")).scalar_subquery(), REGCLASS)
        rows = select(*source.c, func.nextval(sequence).label("posting_id")).cte("transfer_rows")
    else:
        rows = rows.subquery()
    optional = [name for name in ("milestone_id", "actor_id") if name in rows.c]
    columns = ["key", "kind", "memo", "reference", "meta", "created_at", *optional]
    values = [rows.c.key, literal(kind), rows.c.memo, rows.c.reference, literal(meta or {}, JSON),
              literal(utcnow(), postings.c.created_at.type), *(rows.c[name] for name in optional)]
    if one_statement:
        posted = insert(postings).from_select(["id", *columns], select(rows.c.posting_id, *values))
        legs = [select(rows.c.posting_id, account, amount, rows.c.currency)
                for account, amount in ((rows.c.from_account_id, -rows.c.amount),
                                        (rows.c.to_account_id, rows.c.amount))]
        statement = insert(entries).from_select(["posting_id", "account_id", "amount", "currency"], union_all(*legs))
        written = db.session.execute(statement.add_cte(posted.returning(postings.c.id).cte("posted"))).rowcount
        return written // 2
    db.session.execute(insert(postings).from_select(columns, select(*values)))
    posted = postings.alias("posted")
    legs = [select(posted.c.id, account, amount, rows.c.currency).select_from(rows)
            .join(posted, posted.c.key == rows.c.key)
            for account, amount in ((rows.c.from_account_id, -rows.c.amount), (rows.c.to_account_id, rows.c.amount))]
    written = db.session.execute(insert(entries).from_select(["posting_id", "account_id", "amount", "currency"],
                                                             union_all(*legs))).rowcount
    return written // 2


def commission_of(amount: int, bps: int) -> int:
    """The platform's cut, rounded half-up to the minor unit (integers only: no float ever)."""
    return (amount * bps + 5000) // 10000


# --- reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Balance:
    account: str
    kind: str
    amount: int
    currency: str


def _require_money_reader(user: User) -> None:
    """An organisation's balances and entries are for the roles that read its money (services.permissions)."""
    if user.membership is not None:
        permissions.require(user, "wallet.read")


def balances_of(user: User) -> list[Balance]:
    """The balances of the accounts `user`'s organisation holds (none shown to a role without money reading)."""
    if user.membership is not None and not permissions.allowed(user, "wallet.read"):
        return []
    rows = db.session.execute(
        select(LedgerAccount.key, LedgerAccount.kind, LedgerAccount.currency,
               func.coalesce(func.sum(LedgerEntry.amount), 0))
        .outerjoin(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.user_id == user.account_id).group_by(LedgerAccount.id).order_by(LedgerAccount.key))
    return [Balance(account=key, kind=kind, amount=int(amount), currency=currency)
            for key, kind, currency, amount in rows]


def entries_of(user: User, page: int = 1, per_page: int = 50):
    _require_money_reader(user)
    stmt = (select(LedgerEntry).join(LedgerAccount).join(LedgerPosting)
            .options(contains_eager(LedgerEntry.account), contains_eager(LedgerEntry.posting))  # joined anyway
            .where(LedgerAccount.user_id == user.account_id)
            .order_by(LedgerPosting.created_at.desc(), LedgerEntry.id.desc()))
    return paginate(stmt, page, per_page)


def summary() -> tuple[list[Balance], dict[str, int]]:
    """Every account kind's total per currency, and the grand total per currency (always zero)."""
    rows = db.session.execute(
        select(LedgerAccount.kind, LedgerAccount.currency, func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .group_by(LedgerAccount.kind, LedgerAccount.currency).order_by(LedgerAccount.kind, LedgerAccount.currency))
    balances = [Balance(account=kind, kind=kind, amount=int(amount), currency=currency)
                for kind, currency, amount in rows]
    totals: dict[str, int] = defaultdict(int)
    for b in balances:
        totals[b.currency] += b.amount
    return balances, dict(totals)


def unbalanced_postings() -> list[str]:
    """Keys of postings whose entries do not sum to zero per currency (should always be empty)."""
    rows = db.session.execute(
        select(LedgerPosting.key).join(LedgerEntry).group_by(LedgerPosting.id, LedgerEntry.currency)
        .having(func.sum(LedgerEntry.amount) != 0))
    return [key for (key,) in rows]


@dataclass(frozen=True)
class Deposit:
    """A recorded bank transfer and the brand whose wallet it credited."""

    posting: LedgerPosting
    amount: int
    currency: str
    brand: User | None


def recent_deposits(limit: int = 20) -> list[Deposit]:
    """The latest bank transfers into brands' wallets, newest first, each with its brand and the
    brand's store profile, in one query (no query per row)."""
    rows = db.session.execute(
        select(LedgerPosting, LedgerEntry, User)
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .outerjoin(User, User.id == LedgerAccount.user_id)
        .where(LedgerPosting.kind == "deposit", LedgerAccount.kind == "brand_wallet")
        .options(joinedload(User.brand_profile))
        .order_by(LedgerPosting.created_at.desc(), LedgerPosting.id.desc()).limit(limit))
    return [Deposit(posting=posting, amount=entry.amount, currency=entry.currency, brand=brand)
            for posting, entry, brand in rows]
