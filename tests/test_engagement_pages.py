"""A retainer and a metered contract in the pages: the period timeline with states, countdowns and
money per period, the "no result → no bonus and no penalty" rule stated beforehand, the KPI chart
per metric, usage and KPI-import forms, auto-fund, notice."""
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from extensions import db
from models import Contract
from models.types import utcnow
from tests.support.engagements import periodic_contract
from tests.support.web import csrf_token, signed_in


def _page(client, contract_id) -> str:
    r = client.get(f"/contracts/{contract_id}", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _row(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</t[dr]>', html, re.S)
    assert match, testid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_the_retainer_page_shows_periods_money_and_the_kpi_chart(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=3)
    c.deposit(230000_00)
    c.fund(0)
    c.kpi(0, 0, 59.71)  # first-response time missed: −5 %
    c.kpi(0, 1, 54.38)  # conversion met: +5 %
    c.deliver(0)
    c.accept(0)
    c.fund(1)
    brand = signed_in(app, c.brand_id)
    html = _page(brand, c.contract_id)
    assert 'data-testid="no-result-rule"' in html and "no bonus and withholds no penalty" in html
    assert _row(html, "period-state-1") == "Released" and _row(html, "period-state-2") == "Funded"
    assert _row(html, "period-state-3") == "Awaiting funding"
    assert _row(html, "period-next-2").startswith("starts in ")  # relative, the date on hover (issue 17)
    assert _row(html, "period-bonus-1") == "¥5,000.00" and _row(html, "period-penalty-1") == "¥5,000.00"
    assert _row(html, "period-net-1") == "¥90,000.00"
    for kpi_id in c.kpi_ids:
        assert f'data-testid="kpi-chart-{kpi_id}"' in html
    assert 'data-testid="auto-fund-form"' in html and f'data-testid="kpi-import-{c.milestone_ids[1]}"' in html
    assert "<script>" not in html and " style=" not in html

    # the brand switches auto-fund on and imports figures for the running period through the page
    token = csrf_token(brand, f"/contracts/{c.contract_id}")
    assert brand.post(f"/contracts/{c.contract_id}/auto-fund", data={"csrf_token": token, "auto_fund": "y"}
                      ).status_code == 302
    assert c.contract()["auto_fund"] is True
    start = datetime.fromisoformat(c.period(1)["starts_at"])
    csv = f"date,metric,value\n{start.date().isoformat()},first-response time,24.79\n".encode()
    r = brand.post(f"/contracts/milestones/{c.milestone_ids[1]}/kpi-import",
                   data={"csrf_token": token, "file": (io.BytesIO(csv), "export.csv")},
                   content_type="multipart/form-data")
    assert r.status_code == 302
    assert len(c.brand.get(f"/contracts/{c.contract_id}/kpi-results").json["items"]) == 3


def test_the_metered_page_takes_usage_from_the_provider(app, api, make_user):
    c = periodic_contract(app, api, make_user, engagement="metered", kpis=[], periods=2)
    c.deposit(1000_00)
    c.fund(0)
    with app.app_context():
        provider_id = db.session.get(Contract, c.contract_id).provider_id
    provider = signed_in(app, provider_id)
    html = _page(provider, c.contract_id)
    assert f'data-testid="usage-form-{c.milestone_ids[0]}"' in html
    assert 'data-testid="auto-fund-form"' not in html  # the brand's switch
    token = csrf_token(provider, f"/contracts/{c.contract_id}")
    r = provider.post(f"/contracts/milestones/{c.milestone_ids[0]}/usage",
                      data={"csrf_token": token, "quantity": "7", "note": "shoot 1"})
    assert r.status_code == 302
    html = _page(provider, c.contract_id)
    assert _row(html, "period-usage-1") == "7 × photo = ¥350.00"
    r = provider.post(f"/contracts/{c.contract_id}/notice", data={"csrf_token": token})
    assert r.status_code == 302
    assert 'data-testid="notice-given"' in _page(provider, c.contract_id)
    assert c.contract()["ends_after_period"] == 1


def test_statements_and_finance_break_income_down_by_engagement(app, api, make_user, client, login):
    c = periodic_contract(app, api, make_user, periods=2)
    c.deposit(230000_00)
    c.fund(0)
    c.kpi(0, 0, 24.79)  # met: +10 %
    c.deliver(0)
    c.accept(0)
    c.fund(1)
    c.kpi(1, 1, 50.81)  # missed: −10 %
    c.deliver(1)
    c.accept(1)
    with app.app_context():
        contract = db.session.get(Contract, c.contract_id)
        provider_id = contract.provider_id
        month = utcnow().astimezone(ZoneInfo(contract.provider.timezone)).strftime("%Y-%m")  # the reader's month
    provider = signed_in(app, provider_id)
    html = provider.get(f"/statements?month={month}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "KPI bonus ¥10,000.00" in html and "KPI penalty ¥10,000.00" in html
    assert _row(html, "engagement-retainer-CNY") == "¥200,000.00"  # 110 000 + 90 000 gross
    brand = signed_in(app, c.brand_id)
    html = brand.get(f"/statements?month={month}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _row(html, "spend-retainer-CNY") == "¥200,000.00"  # 230 000 funded − 30 000 returned
    login(make_user("admin"))
    html = client.get("/finance", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Income by engagement type" in html
    assert re.search(r'data-testid="engagement-retainer".*?¥200,000\.00.*?¥20,000\.00', html, re.S)
