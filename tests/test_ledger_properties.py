"""Property-based (Hypothesis stateful): random sequences of deposit / fund / deliver /
request-changes / accept / auto-release / cancel / open, withdraw and resolve a dispute, over several
contracts, keep the ledger whole.

After every step: every posting sums to zero; every escrow account holds 0 or its milestone's
amount; no wallet is negative; wallets + escrow + provider payable + platform revenue = what
brands deposited; the revenue is exactly the half-up commission of what was released."""
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from extensions import db
from models import Bid, Contract, Dispute, LedgerAccount, LedgerEntry, Milestone, Tender, User
from models.types import utcnow
from services import disputes, escrow, funding, ledger
from services.errors import DomainError
from tests.support.backends import empty_database, make_app
from tests.support.ledger import BalancedPostings, totals_by_kind

APP = make_app()
BPS = APP.config["COMMISSION_BPS"]


def half_up_commission(amount: int) -> int:
    """Computed independently of the code under test: Decimal, ROUND_HALF_UP."""
    return int((Decimal(amount) * BPS / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _user(role: str, n: int) -> User:
    user = User(email=f"{role}{n}@prop.example.com", password_hash="x", role=role, display_name=f"{role} {n}")
    db.session.add(user)
    return user


class EscrowMachine(BalancedPostings, RuleBasedStateMachine):
    @initialize(amounts=st.lists(st.lists(st.integers(1, 10**7), min_size=1, max_size=3), min_size=2, max_size=3))
    def setup(self, amounts):
        empty_database(APP)
        self.ctx = APP.test_request_context()
        self.ctx.push()
        self.staff, self.brands = _user("admin", 0), [_user("brand", 1), _user("brand", 2)]
        provider = _user("provider", 3)
        db.session.flush()
        self.milestones: list[int] = []
        for i, plan in enumerate(amounts):
            brand = self.brands[i % 2]
            tender = Tender(brand_id=brand.id, title=f"T{i}", category="design", description="d" * 10,
                            budget_min=1, budget_max=10**9, currency="CNY", bid_deadline=utcnow(),
                            rounds=["proposal"], stored_status="awarded")
            bid = Bid(tender=tender, provider_id=provider.id, status="awarded", amount=sum(plan), currency="CNY",
                      delivery_days=30, proposal="p")
            db.session.add_all([tender, bid])
            db.session.flush()
            contract = Contract(tender_id=tender.id, bid_id=bid.id, brand_id=brand.id, provider_id=provider.id,
                                amount=sum(plan), currency="CNY", status="active")
            contract.milestones = [Milestone(position=j, title=f"M{i}.{j}", amount=a, currency="CNY",
                                             status="pending", due_at=utcnow()) for j, a in enumerate(plan)]
            db.session.add(contract)
            db.session.flush()
            self.milestones += [m.id for m in contract.milestones]
        db.session.commit()
        self.deposited = 0
        self.released_commission = 0

    def teardown(self):
        if hasattr(self, "ctx"):
            db.session.rollback()
            self.ctx.pop()

    def _milestone(self, index: int) -> Milestone:
        return db.session.get(Milestone, self.milestones[index % len(self.milestones)])

    def _brand_of(self, m: Milestone) -> User:
        return db.session.get(User, m.contract.brand_id)

    def _try(self, action) -> None:
        """Run one action; a refused one (illegal move, no money) must change nothing."""
        try:
            action()
            db.session.commit()
        except DomainError:
            db.session.rollback()

    @rule(brand=st.integers(0, 1), amount=st.integers(1, 2 * 10**7), ref=st.integers(0, 10**6))
    def deposit(self, brand, amount, ref):
        key = f"BANK-{ref}"
        already = ledger.is_posted(funding.deposit_key("CNY", key))
        self._try(lambda: funding.record_deposit(self.staff, self.brands[brand], amount, "CNY", key))
        if not already:
            self.deposited += amount

    @rule(index=st.integers(0, 8))
    def fund(self, index):
        m = self._milestone(index)
        self._try(lambda: funding.fund(self._brand_of(m), m.id))

    @rule(index=st.integers(0, 8))
    def deliver(self, index):
        m = self._milestone(index)
        provider = db.session.get(User, m.contract.provider_id)
        self._try(lambda: escrow.deliver(provider, m.id, "here it is"))

    @rule(index=st.integers(0, 8))
    def request_changes(self, index):
        m = self._milestone(index)
        self._try(lambda: escrow.request_changes(self._brand_of(m), m.id, "please change"))

    @rule(index=st.integers(0, 8))
    def accept(self, index):
        m = self._milestone(index)
        before = m.status
        self._try(lambda: escrow.accept(self._brand_of(m), m.id))
        if before == "delivered":
            self.released_commission += half_up_commission(m.amount)

    @rule(index=st.integers(0, 8))
    def auto_release(self, index):
        m = self._milestone(index)
        if m.status == "delivered":
            m.delivered_at = datetime.now(UTC) - timedelta(days=APP.config["AUTO_RELEASE_DAYS"] + 1)
            db.session.commit()
            self.released_commission += half_up_commission(m.amount)
        self._try(lambda: escrow.auto_release(m.id, utcnow()))

    @rule(index=st.integers(0, 8))
    def cancel(self, index):
        m = self._milestone(index)
        self._try(lambda: funding.cancel(self._brand_of(m), m.id))

    def _open_dispute_of(self, m: Milestone):
        return db.session.scalar(select(Dispute).where(Dispute.milestone_id == m.id, Dispute.status == "open"))

    @rule(index=st.integers(0, 8), by_brand=st.booleans())
    def open_dispute(self, index, by_brand):
        m = self._milestone(index)
        actor = self._brand_of(m) if by_brand else db.session.get(User, m.contract.provider_id)
        self._try(lambda: disputes.open_dispute(actor, m.id, "quality", "not as agreed"))

    @rule(index=st.integers(0, 8))
    def withdraw_dispute(self, index):
        m = self._milestone(index)
        dispute = self._open_dispute_of(m)
        if dispute is not None:
            opener = db.session.get(User, dispute.opened_by_id)
            self._try(lambda: disputes.withdraw(opener, dispute.id))

    @rule(index=st.integers(0, 8), share=st.integers(0, 100))
    def resolve_dispute(self, index, share):
        m = self._milestone(index)
        dispute = self._open_dispute_of(m)
        if dispute is not None:
            provider_amount = m.amount * share // 100
            self._try(lambda: disputes.resolve(self.staff, dispute.id, provider_amount, "decided by staff"))
            self.released_commission += half_up_commission(provider_amount)

    @invariant()
    def escrow_holds_nothing_or_the_milestone(self):
        # One query for every milestone (this runs after every step): its status, amount, and what its
        # escrow account holds (0 when the account was never opened), summed from the entries.
        escrow_entries = (select(LedgerAccount.milestone_id, func.sum(LedgerEntry.amount).label("held"))
                          .join(LedgerEntry).where(LedgerAccount.kind == "escrow")
                          .group_by(LedgerAccount.milestone_id).subquery())
        rows = db.session.execute(
            select(Milestone.id, Milestone.status, Milestone.amount, func.coalesce(escrow_entries.c.held, 0))
            .outerjoin(escrow_entries, escrow_entries.c.milestone_id == Milestone.id)
            .where(Milestone.id.in_(self.milestones))).all()
        assert sorted(row[0] for row in rows) == sorted(self.milestones)
        for _, status, amount, held in rows:
            expected = amount if status in ("funded", "delivered", "changes_requested", "disputed") else 0
            assert held == expected, (status, held, amount)

    @invariant()
    def no_wallet_negative(self):
        wallets = db.session.execute(select(LedgerAccount.key, func.sum(LedgerEntry.amount)).join(LedgerEntry)
                                     .where(LedgerAccount.kind == "brand_wallet").group_by(LedgerAccount.key)).all()
        assert all(held >= 0 for _, held in wallets), wallets  # a wallet never opened holds 0

    @invariant()
    def money_is_conserved(self):
        k = totals_by_kind()
        inside = sum(k.get(kind, 0) for kind in ("brand_wallet", "escrow", "provider_payable", "platform_revenue"))
        assert inside == self.deposited == -k.get("bank_clearing", 0)
        assert k.get("platform_revenue", 0) == self.released_commission


EscrowMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
TestEscrowLedger = EscrowMachine.TestCase
