"""Demo engagements: the seed case's customer-service contract run as a six-period retainer with KPI
terms and four periods of history (first-response time 59.71 s → 24.79 s, conversion 50.81 % →
54.38 %), and a metered photography contract paid per photo. Made through the services like the rest
of the demo; the periods are then moved back in time so that the history has already happened."""
from datetime import timedelta

from extensions import db
from models.types import utcnow
from services import bidding, engagements, escrow, evaluation, funding, kpis, tenders
from services.bidding import BidInput
from services.tenders import KpiInput, TenderInput

LEDGER = funding.LedgerBackend()
PERIOD_DAYS = 30
# Per past period: (first-response time in s, conversion in %) the brand's system measured
HISTORY = [(59.71, 50.81), (45.20, 52.30), (33.60, 53.10), (24.79, 54.38)]


def _tender(brand, title, category, description, budget, *, engagement, periods, unit=None, kpis=()):
    low, high = budget  # in yuan
    return tenders.create_tender(brand, TenderInput(
        title=title, category=category, description=description, budget_min=low * 100, budget_max=high * 100,
        currency="CNY", bid_deadline=utcnow() + timedelta(days=3), rounds=["proposal", "pitch", "site_visit"]
        if engagement == "retainer" else ["proposal"], kpis=list(kpis), engagement=engagement,
        period_days=PERIOD_DAYS, periods=periods, unit=unit))


def _back_in_time(contract, days: int) -> None:
    """Move the periods `days` earlier: the award happened that long ago."""
    for m in contract.milestones:
        m.starts_at -= timedelta(days=days)
        m.due_at -= timedelta(days=days)


def load(brand, provider, other_provider, photo_brand, photographer) -> None:
    retainer = _tender(
        brand, "客服外包月度服务 Customer-service retainer for a national apparel brand", "customer_service",
        "Six months of pre-sale and after-sale chat, 09:00–24:00, paid monthly; the fee moves with the KPIs.",
        (60000, 90000), engagement="retainer", periods=6,
        kpis=[KpiInput("first-response time", 30, "s", "at_most", bonus_bps=1000, penalty_bps=500),
              KpiInput("conversion rate", 52, "%", "at_least", bonus_bps=500, penalty_bps=1000)])
    won = bidding.submit_bid(provider, retainer.id, BidInput(
        amount=75000_00, currency="CNY", delivery_days=PERIOD_DAYS,
        proposal="## 方案 Plan\n40 agents in two shifts, a QA lead, weekly KPI report from our own dashboard."))
    bidding.submit_bid(other_provider, retainer.id, BidInput(
        amount=68000_00, currency="CNY", delivery_days=PERIOD_DAYS,
        proposal="32 agents, one shift lead, monthly report."))
    tenders.close_tender(brand, retainer.id)
    contract = evaluation.award(brand, retainer.id, won.id)
    _back_in_time(contract, len(HISTORY) * PERIOD_DAYS + 10)  # period 5 is running, 10 days in
    response, conversion = retainer.kpis
    for period, (seconds, percent) in zip(contract.milestones, HISTORY, strict=False):
        funding.fund(brand, period.id, via=LEDGER)
        kpis.record_result(brand, period.id, response.id, seconds, "Exported from the chat system")
        kpis.record_result(brand, period.id, conversion.id, percent, "Exported from the chat system")
        escrow.deliver(provider, period.id, "Monthly report: staffing, volumes and the KPI dashboard.",
                       ["https://pan.example.com/s/cs-report"])
        escrow.accept(brand, period.id)
    funding.fund(brand, contract.milestones[len(HISTORY)].id, via=LEDGER)  # the running period
    engagements.set_auto_fund(brand, contract.id, True)  # the last one is funded by the period job

    metered = _tender(
        photo_brand, "产品图按张计费 Product photos, paid per photo", "photography",
        "White-background photos of every new tea, paid per photo delivered, at most ¥4,000 a month.",
        (2000, 4000), engagement="metered", periods=4, unit="photo")
    bid = bidding.submit_bid(photographer, metered.id, BidInput(
        amount=None, currency="CNY", delivery_days=PERIOD_DAYS, unit_price=80_00, cap_per_period=4000_00,
        proposal="Studio shots on white, two angles each, retouched within 48 hours."))
    tenders.close_tender(photo_brand, metered.id)
    contract = evaluation.award(photo_brand, metered.id, bid.id)
    _back_in_time(contract, 12)
    first = contract.milestones[0]
    funding.fund(photo_brand, first.id, via=LEDGER)
    for quantity, note in ((23, "Spring green teas"), (12, "Oolong gift boxes")):
        engagements.record_usage(photographer, first.id, quantity, note)
    db.session.flush()
