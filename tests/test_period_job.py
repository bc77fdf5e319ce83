"""The period sweep (services/runners/periods.py): reminders, auto-fund from the wallet (never twice),
periods that start or cannot start, metered periods closed at their end and then auto-released."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    LedgerPosting,
    Milestone,
    MilestoneEvent,
    Notification,
    OutgoingMail,
    WebhookDelivery,
    WebhookEvent,
)
from models.types import utcnow
from services import escrow, ledger
from services.runners import periods
from tests.support.engagements import periodic_contract
from tests.support.ledger import balances


def _run(app, at):
    with app.app_context():
        return periods.run(at)


def _notes(app, kind: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == kind))


def _mails(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutgoingMail))


def _fund_postings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerPosting).where(LedgerPosting.kind == "fund"))


def test_auto_fund_funds_each_period_once_and_reminds_when_the_wallet_is_short(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=3, period_days=30)
    c.brand.put(f"/contracts/{c.contract_id}/auto-fund", json={"auto_fund": True})
    c.deposit(2 * 115000_00)
    now = utcnow()
    assert _run(app, now)["auto_funded"] == 1
    assert _run(app, now) == {"auto_funded": 0, "reminded": 0, "opened": 0, "closed": 0}  # safe twice
    assert [p["status"] for p in c.contract()["milestones"]] == ["funded", "pending", "pending"]
    assert _notes(app, "period_started") == 1  # period 1 started, funded; its provider was told once

    later = now + timedelta(days=28)  # period 2 starts in two days: within the funding window
    assert _run(app, later)["auto_funded"] == 1
    _run(app, later)
    assert _fund_postings(app) == 2
    assert balances(c.brand) == {"brand_wallet": 0}

    last = now + timedelta(days=58)  # period 3: the wallet is empty, so the brand is reminded (once)
    result = _run(app, last)
    assert (result["auto_funded"], result["opened"]) == (0, 1)  # and period 2 has started meanwhile
    _run(app, last)
    assert _notes(app, "period_funding_due") == 1
    assert _run(app, now + timedelta(days=61))["opened"] == 1  # period 3 cannot start
    assert _notes(app, "period_not_started") == 1
    assert _fund_postings(app) == 2


def test_reminder_three_days_before_without_auto_fund(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=2, period_days=30)
    now = utcnow()
    result = _run(app, now)
    assert (result["reminded"], result["auto_funded"]) == (1, 0)  # the first period starts at the award
    assert _run(app, now + timedelta(days=26))["reminded"] == 0  # period 2: more than 3 days away
    assert _run(app, now + timedelta(days=27, hours=1))["reminded"] == 1
    with app.app_context():
        brand_notes = db.session.scalars(select(Notification.user_id).where(Notification.kind == "period_funding_due"))
        assert set(brand_notes) == {c.brand_id}


def test_a_metered_period_is_closed_at_its_end_and_auto_released_at_its_charge(app, api, make_user):
    c = periodic_contract(app, api, make_user, engagement="metered", kpis=[], periods=1, period_days=7)
    c.deposit(1000_00)
    c.fund(0)
    assert c.usage(0, 4).status_code == 201
    end = utcnow() + timedelta(days=7, minutes=1)
    assert _run(app, end)["closed"] == 1
    assert _run(app, end)["closed"] == 0
    assert c.period(0)["status"] == "delivered"
    with app.app_context():
        release_at = escrow.release_due_at(db.session.get(Milestone, c.milestone_ids[0]))
        assert escrow.auto_release(c.milestone_ids[0], release_at + timedelta(seconds=1))
        db.session.commit()
    assert c.period(0)["released_amount"] == 200_00
    assert balances(c.brand) == {"brand_wallet": 800_00}
    assert balances(c.provider) == {"provider_payable": 180_00}


def test_auto_fund_leaves_a_period_above_the_two_member_amount_to_the_members(app, api, make_user):
    """Nobody confirms for the job: a period above the organisation's two-member amount is not funded
    by auto-fund (the brand is reminded), and a member's own fund then waits for a second member."""
    c = periodic_contract(app, api, make_user, periods=2, period_days=30)
    assert c.brand.put("/org/settings", json={"dual_fund_above": 50000_00}).status_code == 200
    c.brand.put(f"/contracts/{c.contract_id}/auto-fund", json={"auto_fund": True})
    c.deposit(2 * 115000_00)
    now = utcnow()
    assert _run(app, now)["auto_funded"] == 0
    assert _fund_postings(app) == 0 and _notes(app, "period_funding_due") == 1
    assert [p["status"] for p in c.contract()["milestones"]] == ["pending", "pending"]
    r = c.brand.post(f"/milestones/{c.milestone_ids[0]}/fund")
    assert r.json["status"] == "awaiting_confirmation" and _fund_postings(app) == 0  # the rule, as by hand


def test_auto_fund_in_bulk_writes_what_funding_one_by_one_does(app, api, make_user):
    """The set-based sweep: the posting on the period with its actor, the funded event, the provider's
    notice mailed (e-mail by default), the brand's held for its digest (its choice), and a webhook
    delivery for the provider's endpoint with the funded payload."""
    c = periodic_contract(app, api, make_user, periods=2, period_days=30)
    c.brand.put(f"/contracts/{c.contract_id}/auto-fund", json={"auto_fund": True})
    assert c.brand.put("/me/notification-preferences",
                       json={"preferences": {"period_auto_funded": "digest"}}).status_code == 200
    r = c.provider.post("/webhooks", json={"url": "https://hooks.example.com/witkey", "events": ["milestone.funded"]})
    assert r.status_code == 201, r.json
    c.deposit(115000_00)
    mailed_before = _mails(app)
    assert _run(app, utcnow())["auto_funded"] == 1
    assert _mails(app) == mailed_before + 1  # to the provider: funded (the brand's notice waits for its digest)
    first = c.milestone_ids[0]
    with app.app_context():
        posting = db.session.scalar(select(LedgerPosting).where(LedgerPosting.key == f"fund:milestone:{first}"))
        title = db.session.get(Milestone, first).title
        assert (posting.milestone_id, posting.actor_id, posting.memo) == (first, c.brand_id, title)
        assert ledger.balance(ledger.escrow(db.session.get(Milestone, first))) == 115000_00
        event = db.session.scalar(select(MilestoneEvent).where(MilestoneEvent.milestone_id == first,
                                                               MilestoneEvent.kind == "funded"))
        assert (event.actor_id, event.data) == (c.brand_id, {"source": "wallet"})
        provider_id = db.session.get(Milestone, first).contract.provider_id
        assert db.session.scalars(select(OutgoingMail.user_id).order_by(OutgoingMail.id.desc())).first() == provider_id
        brand_note = db.session.scalar(select(Notification).where(Notification.kind == "period_auto_funded"))
        assert brand_note.user_id == c.brand_id and brand_note.digest_pending
        assert brand_note.params["about"] == {"type": "contract", "id": c.contract_id,
                                              "title": db.session.get(Milestone, first).contract.tender.title}
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        webhook_event = db.session.get(WebhookEvent, delivery.event_id)
        assert (webhook_event.type, webhook_event.resource) == ("milestone.funded", f"milestone:{first}")
        assert webhook_event.data["milestone"]["status"] == "funded"
        assert set(webhook_event.audience) == {c.brand_id, provider_id}
    assert c.period(0)["status"] == "funded"



@pytest.mark.parametrize("one_by_one", [False, True])
def test_auto_fund_skips_a_suspended_provider(app, api, make_user, monkeypatch, one_by_one):
    """A suspended provider's period is not funded from the wallet (its brand is reminded instead),
    while another contract of the same chunk is; the same when the chunk falls back to one by one."""
    c = periodic_contract(app, api, make_user, periods=2, period_days=30)
    other = periodic_contract(app, api, make_user, periods=2, period_days=30)
    for contract in (c, other):
        contract.brand.put(f"/contracts/{contract.contract_id}/auto-fund", json={"auto_fund": True})
        contract.deposit(115000_00)
    with app.app_context():
        db.session.get(Milestone, c.milestone_ids[0]).contract.provider.suspended_at = utcnow()
        db.session.commit()
    if one_by_one:  # the chunk fails as a whole: each period is then done on its own
        monkeypatch.setattr(periods, "_auto_fund_all", lambda *args: 1 / 0)
    assert _run(app, utcnow())["auto_funded"] == 1
    assert (c.period(0)["status"], other.period(0)["status"]) == ("pending", "funded")
    with app.app_context():
        reminded = set(db.session.scalars(select(Notification.user_id)
                                          .where(Notification.kind == "period_funding_due")))
    assert c.brand_id in reminded and other.brand_id not in reminded
