"""Property-based (Hypothesis stateful) over engagements: random sequences of deposit / fund / usage /
KPI result / deliver / accept / auto-release / dispute / resolve / notice across the periods of a
retainer with KPI terms and a metered contract keep the ledger whole and never pay more than funded.

After every step: every posting sums to zero; a period's escrow holds its funded amount while held
and 0 once settled; no wallet is negative; money is conserved; what a period paid its provider never
exceeds what it was funded with (nor, metered, its usage charge plus bonuses)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from extensions import db
from models import Bid, Contract, Dispute, LedgerAccount, LedgerEntry, Milestone, Tender, TenderKpi, User
from models.types import utcnow
from services import disputes, engagements, escrow, funding, kpis, ledger, period_money
from services.errors import DomainError
from tests.support.backends import empty_database, make_app
from tests.support.ledger import BalancedPostings, totals_by_kind

APP = make_app()
HELD = ("funded", "delivered", "changes_requested", "disputed")


def _user(role: str, n: int) -> User:
    user = User(email=f"{role}{n}@eng.example.com", password_hash="x", role=role, display_name=f"{role} {n}")
    db.session.add(user)
    return user


def _contract(brand: User, provider: User, engagement: str, base: int, *, unit_price: int | None, n: int) -> Contract:
    tender = Tender(brand_id=brand.id, title=f"T{n}", category="customer_service", description="d" * 10,
                    budget_min=1, budget_max=10**9, currency="CNY", bid_deadline=utcnow(), rounds=["proposal"],
                    stored_status="awarded", engagement=engagement, period_days=30, periods=3,
                    unit="photo" if engagement == "metered" else None,
                    kpis=[TenderKpi(position=0, name="first-response time", target=Decimal(30), unit="s",
                                    direction="at_most", bonus_bps=1000, penalty_bps=500),
                          TenderKpi(position=1, name="conversion", target=Decimal(52), unit="%",
                                    direction="at_least", bonus_bps=3000, penalty_bps=3000)])
    bid = Bid(tender=tender, provider_id=provider.id, status="awarded", amount=base, currency="CNY",
              delivery_days=30, proposal="p", unit_price=unit_price, cap_per_period=base if unit_price else None)
    db.session.add_all([tender, bid])
    db.session.flush()
    contract = Contract(tender_id=tender.id, bid_id=bid.id, brand_id=brand.id, provider_id=provider.id,
                        amount=base * 3, currency="CNY", status="active", engagement=engagement,
                        unit_price=unit_price)
    contract.milestones = engagements.period_milestones(tender, bid, utcnow())
    db.session.add(contract)
    db.session.flush()
    return contract


class EngagementMachine(BalancedPostings, RuleBasedStateMachine):
    @initialize(fee=st.integers(1, 10**7), unit_price=st.integers(1, 10**5), cap=st.integers(1, 10**7))
    def setup(self, fee, unit_price, cap):
        empty_database(APP)
        self.ctx = APP.test_request_context()
        self.ctx.push()
        self.staff, self.brand, self.provider = _user("admin", 0), _user("brand", 1), _user("provider", 2)
        db.session.flush()
        retainer = _contract(self.brand, self.provider, "retainer", fee, unit_price=None, n=1)
        metered = _contract(self.brand, self.provider, "metered", max(cap, unit_price), unit_price=unit_price, n=2)
        self.milestones = [m.id for m in (*retainer.milestones, *metered.milestones)]
        db.session.commit()
        self.deposited = 0

    def teardown(self):
        if hasattr(self, "ctx"):
            db.session.rollback()
            self.ctx.pop()

    def _period(self, index: int) -> Milestone:
        return db.session.get(Milestone, self.milestones[index % len(self.milestones)])

    def _try(self, action) -> None:
        """Run one action; a refused one (illegal move, no money, bad input) must change nothing."""
        try:
            action()
            db.session.commit()
        except DomainError:
            db.session.rollback()

    @rule(amount=st.integers(1, 3 * 10**7), ref=st.integers(0, 10**6))
    def deposit(self, amount, ref):
        key = f"BANK-{ref}"
        already = ledger.is_posted(funding.deposit_key("CNY", key))
        self._try(lambda: funding.record_deposit(self.staff, self.brand, amount, "CNY", key))
        if not already:
            self.deposited += amount

    @rule(index=st.integers(0, 5))
    def fund(self, index):
        self._try(lambda: funding.fund(self.brand, self._period(index).id))

    @rule(index=st.integers(0, 5), quantity=st.integers(-3, 500), by_brand=st.booleans())
    def usage(self, index, quantity, by_brand):
        actor = self.brand if by_brand else self.provider
        self._try(lambda: engagements.record_usage(actor, self._period(index).id, quantity))

    @rule(index=st.integers(0, 5), kpi=st.integers(0, 1), value=st.integers(0, 100))
    def kpi_result(self, index, kpi, value):
        m = self._period(index)
        self._try(lambda: kpis.record_result(self.brand, m.id, m.contract.tender.kpis[kpi].id, value))

    @rule(index=st.integers(0, 5))
    def deliver(self, index):
        self._try(lambda: escrow.deliver(self.provider, self._period(index).id, "period report"))

    @rule(index=st.integers(0, 5))
    def accept(self, index):
        self._try(lambda: escrow.accept(self.brand, self._period(index).id))

    @rule(index=st.integers(0, 5))
    def auto_release(self, index):
        m = self._period(index)
        if m.status == "delivered":
            m.delivered_at = datetime.now(UTC) - timedelta(days=APP.config["AUTO_RELEASE_DAYS"] + 1)
            db.session.commit()
        self._try(lambda: escrow.auto_release(m.id, utcnow()))

    @rule(index=st.integers(0, 5), by_brand=st.booleans())
    def open_dispute(self, index, by_brand):
        actor = self.brand if by_brand else self.provider
        self._try(lambda: disputes.open_dispute(actor, self._period(index).id, "quality", "not as agreed"))

    @rule(index=st.integers(0, 5), share=st.integers(0, 100))
    def resolve_dispute(self, index, share):
        m = self._period(index)
        dispute = db.session.scalar(select(Dispute).where(Dispute.milestone_id == m.id, Dispute.status == "open"))
        if dispute is not None:
            self._try(lambda: disputes.resolve(self.staff, dispute.id, m.amount * share // 100, "decided"))

    @rule(index=st.integers(0, 5), immediate=st.booleans())
    def notice(self, index, immediate):
        m = self._period(index)
        self._try(lambda: engagements.give_notice(self.brand, m.contract_id, immediate=immediate))
        if immediate:
            self._try(lambda: engagements.give_notice(self.provider, m.contract_id, immediate=True))

    @invariant()
    def escrow_holds_the_funded_amount_or_nothing(self):
        for milestone_id in self.milestones:
            m = db.session.get(Milestone, milestone_id)
            held = ledger.balance(ledger.escrow(m))
            assert held == (m.funded_amount if m.status in HELD else 0), (m.status, held, m.funded_amount)
            assert m.funded_amount in (0, m.amount)

    @invariant()
    def never_pays_more_than_funded(self):
        for milestone_id in self.milestones:
            m = db.session.get(Milestone, milestone_id)
            assert 0 <= m.released_amount <= m.funded_amount
            if m.status == "released" and m.contract.engagement == "metered":
                bonus = period_money.max_bonus(m.base_amount, m.contract.tender.kpis)
                assert m.released_amount <= period_money.charge_of(m) + bonus
            paid = db.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0)).join(LedgerAccount)
                .where(LedgerEntry.posting.has(milestone_id=m.id),
                       LedgerAccount.kind.in_(("provider_payable", "platform_revenue"))))
            assert paid == m.released_amount

    @invariant()
    def money_is_conserved(self):
        k = totals_by_kind()
        assert all(v >= 0 for kind, v in k.items() if kind == "brand_wallet")
        inside = sum(k.get(kind, 0) for kind in ("brand_wallet", "escrow", "provider_payable", "platform_revenue"))
        assert inside == self.deposited == -k.get("bank_clearing", 0)


EngagementMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=30, deadline=None,
                                               suppress_health_check=[HealthCheck.too_slow])
TestEngagementLedger = EngagementMachine.TestCase
