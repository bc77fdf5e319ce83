"""Providers with money to be paid: many at once, written straight to the database (a real release
through the API takes dozens of requests; the batch only reads payable balances and their dates)."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from extensions import db
from models import LedgerAccount, LedgerPosting, PayoutAccount, User
from models.types import utcnow
from services import ledger


def seed_earnings(n: int, amount: int = 500_00, *, days_ago: int = 10, stripe_accounts: list[str] | None = None,
                  prefix: str = "seed") -> list[int]:
    """n providers, each credited `amount` to payable `days_ago` days back, with a payout destination
    (bank details, or the given Stripe account ids). Returns their user ids. Call inside an app context."""
    users = [User(email=f"{prefix}{i}@example.com", password_hash="x", role="provider", display_name=f"P{i}",
                  email_verified_at=utcnow())
             for i in range(n)]
    db.session.add_all(users)
    db.session.flush()
    ids = [u.id for u in users]
    give_earnings(ids, amount, days_ago=days_ago, stripe_accounts=stripe_accounts, prefix=prefix)
    return ids


def give_earnings(provider_ids: list[int], amount: int, *, days_ago: int = 10,
                  stripe_accounts: list[str] | None = None, prefix: str = "seed") -> None:
    """A payout destination and `amount` credited to payable `days_ago` days back, for each provider."""
    for i, provider_id in enumerate(provider_ids):
        db.session.add(PayoutAccount(provider_id=provider_id, bank_account_name=f"Provider {provider_id} Ltd",
                                     bank_name="ICBC Shanghai", bank_account_number=f"6222{provider_id:012d}",
                                     stripe_account_id=stripe_accounts[i] if stripe_accounts else None,
                                     stripe_payouts_enabled=bool(stripe_accounts)))
        credit(provider_id, amount, key=f"{prefix}:earning:{provider_id}")
    db.session.flush()
    backdate(f"{prefix}:earning:%", days_ago)
    db.session.commit()


def credit(provider_id: int, amount: int, *, key: str) -> None:
    """Money released to the provider (escrow is not needed for the batch: the source is bank clearing)."""
    ledger.post(key, "release", [(ledger.clearing("bank_clearing", "CNY"), -amount),
                                 (ledger.payable(provider_id, "CNY"), amount)])


def backdate(key_pattern: str, days: int) -> None:
    """Postings are append-only in the ORM; a test moves their date with SQL to pass the holding period."""
    postings = LedgerPosting.__table__
    db.session.execute(update(postings).where(postings.c.key.like(key_pattern))
                       .values(created_at=utcnow() - timedelta(days=days)))


def payable_balance(provider_id: int) -> int:
    account = db.session.query(LedgerAccount).filter_by(key=ledger.account_key("provider_payable", "CNY",
                                                                                user_id=provider_id)).one()
    return ledger.balance(account)


@pytest.fixture
def earnings(app):
    def build(n: int, **kw) -> list[int]:
        with app.app_context():
            return seed_earnings(n, **kw)

    return build
