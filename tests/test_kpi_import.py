"""KPI figures imported from a CSV export (date,metric,value): one result per metric (the mean of its
rows) for the period, all or nothing; the provider contests them → a dispute on that period."""
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from extensions import db
from models import KpiResult, Milestone
from services import kpi_import
from tests.support.engagements import periodic_contract

SAMPLE = Path(__file__).resolve().parent.parent / "demo" / "kpi_export_sample.csv"


def _csv(start: datetime, rows) -> bytes:
    lines = ["date,metric,value"] + [f"{(start + timedelta(days=d)).date().isoformat()},{m},{v}" for d, m, v in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload(caller, milestone_id: int, data: bytes):
    return caller.post(f"/milestones/{milestone_id}/kpi-results/import",
                       data={"file": (io.BytesIO(data), "export.csv")}, content_type="multipart/form-data")


def _import(c, i: int, data: bytes):
    return _upload(c.brand, c.milestone_ids[i], data)


def _results(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(KpiResult))


def test_import_records_the_mean_per_metric(app, api, make_user):
    c = periodic_contract(app, api, make_user)
    c.deposit(115000_00)
    c.fund(0)
    start = datetime.fromisoformat(c.period(0)["starts_at"])
    data = _csv(start, [(0, "first-response time", "31"), (1, "first-response time", "27"),
                        (0, "Conversion", "50.5"), (2, "conversion", "51.12")])
    r = _import(c, 0, data)
    assert r.status_code == 201, r.json
    got = {item["kpi_id"]: (item["value"], item["met"]) for item in r.json["items"]}
    assert got == {c.kpi_ids[0]: (29, True), c.kpi_ids[1]: (50.81, False)}
    assert _import(c, 0, data).json["error"]["code"] == "already_recorded"  # one per KPI per period
    assert _results(app) == 2


def test_bad_rows_are_named_and_nothing_is_recorded(app, api, make_user):
    c = periodic_contract(app, api, make_user)
    c.deposit(115000_00)
    c.fund(0)
    start = datetime.fromisoformat(c.period(0)["starts_at"])
    data = _csv(start, [(0, "first-response time", "29"), (1, "refund rate", "2"), (2, "conversion", "lots"),
                        (90, "conversion", "50"), (3, "conversion", "-1")])
    r = _import(c, 0, data)
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) == {"row 3: metric", "row 4: value", "row 5: date", "row 6: value"}
    assert _import(c, 0, b"when,what,how much\n").json["error"]["fields"].keys() == {"file"}
    assert _import(c, 0, b"\xff\xfe").status_code == 422
    assert _results(app) == 0
    r = _upload(c.provider, c.milestone_ids[0], data)
    assert r.status_code == 403


def test_the_sample_export_parses(app, api, make_user):
    c = periodic_contract(app, api, make_user, period_days=30)
    c.deposit(115000_00)
    c.fund(0)
    with app.app_context():
        milestone = db.session.get(Milestone, c.milestone_ids[0])
        milestone.starts_at, milestone.due_at = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC)
        means = kpi_import.parse(milestone, SAMPLE.read_bytes())
        db.session.rollback()
    assert set(means) == set(c.kpi_ids)


def test_the_provider_contests_the_figures_with_a_dispute_on_the_period(app, api, make_user):
    c = periodic_contract(app, api, make_user)
    c.deposit(115000_00)
    c.fund(0)
    url = f"/milestones/{c.milestone_ids[0]}/kpi-results/contest"
    assert c.provider.post(url, json={"statement": "wrong"}).json["error"]["code"] == "nothing_to_contest"
    c.kpi(0, 0, 41.5)
    assert c.brand.post(url, json={}).status_code == 403
    r = c.provider.post(url, json={"statement": "Our logs show 24.8 s."}, headers={"Accept-Language": "en"})
    assert r.status_code == 201
    dispute = c.provider.get(f"/disputes/{r.json['id']}").json
    assert dispute["reason"] == "kpi_figures" and dispute["milestone_id"] == c.milestone_ids[0]
    assert "first-response time: 41.5 s (missed; target ≤ 30)" in dispute["statement"]
    assert "Our logs show 24.8 s." in dispute["statement"]
    assert c.period(0)["status"] == "disputed"


def test_a_file_that_is_not_csv_is_refused_with_its_row(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=1)
    c.deposit(115000_00)
    c.fund(0)
    runaway = b'date,metric,value\n2026-12-01,"' + b"x" * 200_000 + b"\n"  # a quote never closed
    r = _import(c, 0, runaway)
    assert r.status_code == 422 and "file" in r.json["error"]["fields"]
    assert _results(app) == 0
