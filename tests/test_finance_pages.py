"""The staff finance pages: balances and per-day / per-week money as SVG charts and tables (days in the
viewer's time zone), the reconciliation runs and their differences, and the button that queues a run."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from extensions import db
from models import ReconciliationRun
from services import finance, ledger
from services.tasks import queue
from tests.support.ledger import reconcile, slip_in_entry
from tests.support.web import form_post


def released_and_held(deal):
    """100,000.00 released (10,000.00 commission), 50,000.00 held in escrow."""
    d = deal(amounts=(100000_00, 50000_00))
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    d.accept(0)
    d.fund(1)
    return d


def as_staff(login, make_user):
    return login(make_user("admin"))


def test_dashboard_shows_balances_charts_and_tables_to_staff(deal, app, client, login, make_user):
    released_and_held(deal)
    reconcile(app)
    html = as_staff(login, make_user).get("/finance").get_data(as_text=True)
    totals = html.split('data-testid="finance-totals-CNY"')[1].split("</table>")[0]
    for amount in ("¥50,000.00", "¥90,000.00", "¥10,000.00"):  # escrow, provider payable, revenue
        assert amount in totals
    charts = html.split("<main")[1]  # (the header's bell is an svg too)
    assert charts.count("<svg") == 2 and charts.count('role="img"') == 2  # per day and per week
    assert 'class="bar-funded"' in html and "<title" in html
    assert html.count('<table class="flows">') == 2
    assert "¥150,000.00" in html  # funded today, in the day and week tables
    assert "Asia/Shanghai" in html  # the viewer's zone, the default
    latest = html.split('data-testid="reconciliation-latest"')[1].split("</section>")[0]
    assert 'class="status status-open"' in latest and "/finance/reconciliation/" in latest


def test_the_dashboard_opens_on_summary_cards_with_the_tables_folded_away(deal, login, make_user):
    released_and_held(deal)
    html = as_staff(login, make_user).get("/finance", headers={"Accept-Language": "en"}).get_data(as_text=True)
    cards = html.split('data-testid="summary-CNY"')[1].split("<details")[0]
    assert "Money in escrow" in cards and "¥50,000.00" in cards and "Provider payable" in cards
    assert "¥90,000.00" in cards
    folded = html.split('<details class="fold">')[1:]  # closed: no `open`
    assert len(folded) == 3 and sum('<table class="flows">' in part.split("</details>")[0] for part in folded) == 2
    assert 'data-testid="finance-totals-CNY"' in folded[0].split("</details>")[0]


def test_days_are_the_viewers_days(app):
    with app.app_context(), time_machine.travel(datetime(2026, 3, 10, 17, 30, tzinfo=UTC), tick=False):
        # 17:30 UTC on the 10th is 01:30 on the 11th in Shanghai: the same posting, two different days.
        ledger.post("deposit:CNY:tz", "fund", [(ledger.clearing("bank_clearing", "CNY"), -500_00),
                                               (ledger.account("escrow", "CNY", milestone_id=None), 500_00)])
        db.session.commit()
        for zone, day in (("Asia/Shanghai", 11), ("UTC", 10), ("America/New_York", 10)):
            rows = finance.overview(zone).daily.rows("CNY")
            funded = {start.day: amounts["funded"] for start, amounts in rows if amounts["funded"]}
            assert funded == {day: 500_00}, zone
            assert rows[-1][0] == finance.today_in(ZoneInfo(zone))
        weekly = finance.overview("Asia/Shanghai").weekly
        assert len(weekly.starts) == finance.WEEKS and all(start.weekday() == 0 for start in weekly.starts)
        assert sum(amounts["funded"] for _start, amounts in weekly.rows("CNY")) == 500_00


def test_paid_out_counts_payout_paid_postings(app):
    with app.app_context():
        ledger.post("payout-paid:1", "payout_paid", [(ledger.clearing("payouts_clearing", "CNY"), -300_00),
                                                     (ledger.clearing("bank_clearing", "CNY"), 300_00)])
        db.session.commit()
        overview = finance.overview("Asia/Shanghai")
        assert overview.totals["CNY"]["paid_out"] == 300_00 and overview.totals["CNY"]["in_flight"] == -300_00
        assert overview.daily.rows("CNY")[-1][1]["paid_out"] == 300_00


def test_reconciliation_pages_list_runs_and_name_the_differences(deal, app, client, login, make_user):
    d = released_and_held(deal)
    clean = reconcile(app)
    slip_in_entry(app, f"fund:milestone:{d.milestone_ids[1]}", d.milestone_ids[1], 1)
    broken = reconcile(app)
    staff = as_staff(login, make_user)

    listing = staff.get("/finance/reconciliation").get_data(as_text=True)
    assert listing.index(f"/finance/reconciliation/{broken.id}") < listing.index(f"/finance/reconciliation/{clean.id}")
    assert listing.count("recon-bad") == 1  # one run with differences, one without
    page = staff.get(f"/finance/reconciliation/{broken.id}").get_data(as_text=True)
    differences = page.split('data-testid="differences"')[1].split("</table>")[0]
    assert differences.count("<tr>") == 1 + 4  # the header; posting, zero sum, escrow vs postings and vs status
    assert f"milestone:{d.milestone_ids[1]}" in page and f"posting:fund:milestone:{d.milestone_ids[1]}" in page
    assert "¥0.01" in page  # the stray entry's amount
    assert staff.get("/finance/reconciliation/999999").status_code == 404
    dashboard = staff.get("/finance").get_data(as_text=True)
    assert f"/finance/reconciliation/{broken.id}" in dashboard and "recon-bad" in dashboard


def test_runs_are_paginated_newest_first(app, client, login, make_user):
    with app.app_context():
        start = datetime(2026, 1, 1, tzinfo=UTC)
        days = [start + timedelta(days=i) for i in range(25)]
        db.session.add_all(ReconciliationRun(started_at=day, finished_at=day, ok=True, checked={}, differences=[])
                           for day in days)
        db.session.commit()
        newest = db.session.query(ReconciliationRun.id).order_by(ReconciliationRun.started_at.desc()).first()[0]
    staff = as_staff(login, make_user)
    first = staff.get("/finance/reconciliation").get_data(as_text=True)
    assert first.count('href="/finance/reconciliation/') == 20 and f"/finance/reconciliation/{newest}\"" in first
    second = staff.get("/finance/reconciliation?page=2").get_data(as_text=True)
    assert second.count('href="/finance/reconciliation/') == 5 and f"/finance/reconciliation/{newest}\"" not in second


def test_run_now_queues_the_reconciliation_job(app, client, login, make_user):
    staff = as_staff(login, make_user)
    assert staff.post("/finance/reconciliation/run").status_code == 400  # no CSRF token: refused
    with app.app_context():
        assert queue("default").count == 0
    r = form_post(staff, "/finance/reconciliation/run", {}, page="/finance")
    assert r.status_code == 302 and r.location.endswith("/finance/reconciliation")
    with app.app_context():
        assert [job.func_name for job in queue("default").jobs] == ["workers.jobs.reconcile_ledger"]


def test_finance_pages_are_for_staff_only(app, client, login, make_user):
    for path in ("/finance", "/finance/reconciliation"):
        assert client.get(path).status_code == 302  # anonymous: to the login page
    login(make_user("brand"))
    for path in ("/finance", "/finance/reconciliation"):
        assert client.get(path).status_code == 403
    assert client.post("/finance/reconciliation/run").status_code == 400  # no CSRF token: refused first
    assert form_post(client, "/finance/reconciliation/run", {}, page="/account").status_code == 403  # not staff
    with app.app_context():
        assert queue("default").count == 0
