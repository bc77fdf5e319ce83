"""Issue 16's done-when, in Chromium: the seed case as a retainer. The brand posts a tender with KPI terms
(first-response time, conversion) through the form; two providers bid (through the API, as their tools
do); the brand takes one bid through three rounds and awards it; the period job — run in-process with
its clock moved — auto-funds each period from the wallet; the provider submits period reports, the
brand imports its customer-service system's KPI export (a CSV upload through the page) and accepts: a
bonus is paid in period 1, a penalty withheld in period 2; the statements show both."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from extensions import db
from models import User
from models.types import utcnow
from services import accounts, funding
from services.runners import periods
from tests.support.engagements import PROPOSAL
from tests.support.web import PASSWORD
from tests.test_browser import login_as

pytestmark = pytest.mark.browser
FEE = 100000_00  # the winning bid: ¥100,000 per 30-day period
ZONE = ZoneInfo("Asia/Shanghai")


def _local(days: float) -> str:
    return (datetime.now(ZONE) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _sweep(app, at) -> dict:
    with app.app_context():
        return periods.run(at)


def _advance(page, bid_id: int, score: int, to_round: str):
    """Score the bid on the evaluation board and move it to the next round."""
    actions = page.locator(f"details:has([data-testid=award-{bid_id}])")
    actions.locator("summary").click()
    actions.locator(f"#score-{bid_id}").fill(str(score))
    actions.get_by_role("button", name=f"Score and advance to {to_round}").click()
    page.wait_for_url(re.compile(r".*/tenders/\d+/evaluate.*"))


def _csv(day, first_response: float, conversion: float) -> dict:
    """A day of the brand's customer-service export (columns date, metric, value)."""
    body = (f"date,metric,value\n{day},first-response time,{first_response}\n"
            f"{day},conversion,{conversion}\n")
    return {"name": "cs-export.csv", "mimeType": "text/csv", "buffer": body.encode()}


def _report_and_settle(brand, provider, contract_id, milestone_id, *, export, note):
    """The provider's period report; the brand imports the KPI export and accepts (the confirm is accepted)."""
    provider.goto(f"/contracts/{contract_id}")
    provider.fill(f"#note-{milestone_id}", note)
    provider.get_by_test_id(f"deliver-{milestone_id}").click()
    provider.wait_for_url(f"**/contracts/{contract_id}*")
    brand.goto(f"/contracts/{contract_id}")
    form = brand.get_by_test_id(f"kpi-import-{milestone_id}")
    form.locator(f"#kpi-file-{milestone_id}").set_input_files(export)
    form.get_by_role("button", name="Import KPI figures").click()
    brand.wait_for_url(f"**/contracts/{contract_id}*")
    brand.get_by_test_id(f"accept-{milestone_id}").click()
    brand.wait_for_url(f"**/contracts/{contract_id}*")


def test_the_seed_case_as_a_retainer_with_kpi_bonus_and_penalty(app, api, make_user, new_page):
    make_user("brand", email="hanfeng-retainer@example.com", display_name="Hanfeng Apparel")
    providers = [make_user("provider", email=f"cs{i}@example.com", display_name=name)
                 for i, name in enumerate(("Yunke Service", "Hangzhou Chat Ltd"))]
    with app.app_context():
        accounts.create_admin(email="staff-retainer@example.com", password=PASSWORD)
        db.session.commit()

    # the brand posts the tender: a retainer of three 30-day periods, KPI terms, three rounds
    brand = new_page()
    login_as(brand, "hanfeng-retainer@example.com")
    brand.goto("/tenders/new")
    brand.fill("#title", "Customer-service outsourcing for a national apparel brand")
    brand.select_option("#category", "customer_service")
    brand.fill("#description", "Pre-sale and after-sale chat, 09:00 to 24:00, about 6,000 conversations a day.")
    brand.fill("#budget_min", "80000")
    brand.fill("#budget_max", "120000")
    brand.fill("#bid_deadline", _local(14))
    brand.check("input[name=rounds][value=pitch]")
    brand.check("input[name=rounds][value=site_visit]")
    brand.select_option("#engagement", "retainer")
    brand.fill("#period_days", "30")
    brand.fill("#periods", "3")
    for i, (name, target, unit, direction, bonus, penalty) in enumerate((
            ("first-response time", "30", "s", "at_most", "10", "5"),
            ("conversion", "52", "%", "at_least", "5", "10"))):
        brand.fill(f"#kpis-{i}-name", name)
        brand.fill(f"#kpis-{i}-target", target)
        brand.fill(f"#kpis-{i}-unit", unit)
        brand.select_option(f"#kpis-{i}-direction", direction)
        brand.fill(f"#kpis-{i}-bonus_pct", bonus)
        brand.fill(f"#kpis-{i}-penalty_pct", penalty)
    brand.click("main form button[type=submit]")
    brand.wait_for_url(re.compile(r".*/tenders/\d+$"))
    tender_id = int(re.search(r"/tenders/(\d+)$", brand.url).group(1))
    expect(brand.get_by_test_id("tender-status")).to_have_text("Open for bids")

    # two providers bid a fee per period
    bids = []
    for user, fee in zip(providers, (FEE, 110000_00), strict=True):
        r = api(user).post(f"/tenders/{tender_id}/bids",
                           json={"amount": fee, "currency": "CNY", "delivery_days": 30, "proposal": PROPOSAL})
        assert r.status_code == 201, r.json
        bids.append(r.json["id"])

    # three rounds: proposal → pitch → site visit, then the award
    brand.goto(f"/tenders/{tender_id}")
    brand.click("text=Close bidding now")
    expect(brand.get_by_test_id("tender-status")).to_have_text("Evaluating")
    brand.goto(f"/tenders/{tender_id}/evaluate")
    _advance(brand, bids[0], 85, "Pitch presentation")
    _advance(brand, bids[0], 88, "On-site inspection")
    expect(brand.get_by_test_id("compare-site_visit")).to_contain_text("Yunke Service")
    actions = brand.locator(f"details:has([data-testid=award-{bids[0]}])")
    actions.locator("summary").click()
    actions.get_by_test_id(f"award-{bids[0]}").click()
    brand.wait_for_url(re.compile(r".*/contracts/\d+$"))
    contract_id = int(re.search(r"/contracts/(\d+)$", brand.url).group(1))
    expect(brand.get_by_test_id("engagement")).to_have_text("Retainer: a fee per period")
    expect(brand.get_by_test_id("periods").locator("tbody tr")).to_have_count(3)
    expect(brand.get_by_test_id("period-state-1")).to_have_text("Not started: not funded")  # it starts at the award
    expect(brand.get_by_test_id("period-state-2")).to_have_text("Awaiting funding")
    expect(brand.get_by_test_id("no-result-rule")).to_contain_text("pays no bonus and withholds no penalty")

    # the brand switches auto-fund on; its wallet holds two periods (fee + the most the bonuses add)
    form = brand.get_by_test_id("auto-fund-form")
    form.locator("input[type=checkbox]").check()
    form.get_by_role("button", name="Save").click()
    brand.wait_for_url(f"**/contracts/{contract_id}*")
    expect(brand.get_by_test_id("auto-fund-form").locator("input[type=checkbox]")).to_be_checked()
    with app.app_context():
        staff = User.by_email("staff-retainer@example.com")
        funding.record_deposit(staff, User.by_email("hanfeng-retainer@example.com"), 2 * 115000_00, "CNY",
                               "BANK-RETAINER-1")
        db.session.commit()

    # the period job funds period 1 from the wallet (once), period 2 not yet: it is 30 days away
    now = utcnow()
    assert _sweep(app, now)["auto_funded"] == 1
    assert _sweep(app, now)["auto_funded"] == 0
    brand.reload()
    expect(brand.get_by_test_id("period-state-1")).to_have_text("Running")
    expect(brand.get_by_test_id("period-state-2")).to_have_text("Awaiting funding")
    periods_ids = [int(a.get_attribute("href").removeprefix("#milestone-"))
                   for a in brand.get_by_test_id("periods").locator("tbody tr td:first-child a").all()]

    provider = new_page()
    login_as(provider, "cs0@example.com")
    first_day = datetime.now(ZONE).date()
    # period 1: both KPIs met (24.79 s ≤ 30 s, 54.38 % ≥ 52 %): +10 % and +5 % of the fee
    _report_and_settle(brand, provider, contract_id, periods_ids[0], export=_csv(first_day, 24.79, 54.38),
                       note="Period 1 report: 178,000 conversations, first response 24.79 s, conversion 54.38 %.")
    expect(brand.get_by_test_id("period-state-1")).to_have_text("Released")
    expect(brand.get_by_test_id("period-bonus-1")).to_have_text("¥15,000.00")
    expect(brand.get_by_test_id("period-penalty-1")).to_have_text("¥0.00")

    # 28 days on, period 2 is within the funding window: the job funds it
    assert _sweep(app, now + timedelta(days=28))["auto_funded"] == 1
    # period 2: both missed (59.71 s, 50.81 %): −5 % and −10 % withheld, the unearned bonus returned
    second_day = (datetime.now(ZONE) + timedelta(days=31)).date()
    _report_and_settle(brand, provider, contract_id, periods_ids[1], export=_csv(second_day, 59.71, 50.81),
                       note="Period 2 report: a peak week slowed first responses.")
    expect(brand.get_by_test_id("period-state-2")).to_have_text("Released")
    expect(brand.get_by_test_id("period-bonus-2")).to_have_text("¥0.00")
    expect(brand.get_by_test_id("period-penalty-2")).to_have_text("¥15,000.00")
    expect(brand.get_by_test_id("period-net-2")).to_have_text("¥76,500.00")  # 85,000 less 10 % commission

    # the provider's statement shows the bonus and the penalty; the brand's, what it spent
    month = datetime.now(ZONE).strftime("%Y-%m")
    provider.goto(f"/statements?month={month}")
    statement = provider.locator("main")
    expect(statement).to_contain_text("KPI bonus ¥15,000.00")
    expect(statement).to_contain_text("KPI penalty ¥15,000.00")
    expect(provider.get_by_test_id("engagement-retainer-CNY")).to_have_text("¥200,000.00")  # 115,000 + 85,000
    brand.goto(f"/statements?month={month}")
    expect(brand.get_by_test_id("spend-retainer-CNY")).to_have_text("¥200,000.00")  # 230,000 − 30,000 back
