"""Reconciliation you can run: `flask finance reconcile` and the staff API run the same checks as the daily
job, store the run with who asked, print or return the differences, and say by their exit code or `ok`
whether there were any; nobody but staff may run or read them."""
from datetime import UTC, datetime, timedelta

from extensions import db
from models import ReconciliationRun
from services import reconciliation
from services.tasks import queue
from tests.support.ledger import slip_in_entry
from tests.support.web import form_post


def released(deal):
    d = deal(amounts=(100000_00, 50000_00))
    d.deposit(150000_00)
    d.release(0)
    return d


def runs(app) -> list[ReconciliationRun]:
    with app.app_context():
        return list(db.session.scalars(db.select(ReconciliationRun).order_by(ReconciliationRun.id)))


def test_cli_prints_a_clean_run_and_exits_zero(deal, app):
    released(deal)
    result = app.test_cli_runner().invoke(args=["finance", "reconcile", "--settle-minutes", "0"])
    assert result.exit_code == 0, result.output
    [run] = runs(app)
    assert f"reconciliation run {run.id}: 7 checks, 0 differences" in result.output
    assert "escrow" in result.output and run.ok and run.trigger == "cli" and run.settle_seconds == 0


def test_cli_lists_the_differences_as_a_table_and_exits_one(deal, app):
    d = released(deal)
    slip_in_entry(app, f"release:milestone:{d.milestone_ids[0]}", d.milestone_ids[0], 777)
    result = app.test_cli_runner().invoke(args=["finance", "reconcile", "--since", "2026-12-01"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("check "))
    assert lines[header].split() == ["check", "subject", "currency", "expected", "actual", "detail"]
    rows = [line.split() for line in lines[header + 1:]]
    assert ["zero_sum", "currency:CNY", "CNY", "0", "777", "not_zero"] in rows
    assert ["escrow", f"milestone:{d.milestone_ids[0]}", "CNY", "0", "777", "escrow_vs_postings"] in rows
    [run] = runs(app)
    assert not run.ok and run.since == datetime(2026, 12, 1, tzinfo=UTC) and len(run.differences) == len(rows)


def test_cli_refuses_a_since_that_is_not_a_date(app):
    result = app.test_cli_runner().invoke(args=["finance", "reconcile", "--since", "last tuesday"])
    assert result.exit_code == 2 and "--since" in result.output
    assert runs(app) == []


def test_staff_run_it_through_the_api_and_read_it_back(deal, api, make_user, app):
    d = released(deal)
    slip_in_entry(app, f"release:milestone:{d.milestone_ids[0]}", d.milestone_ids[0], 777)
    staff_user = make_user("admin")
    staff = api(staff_user)
    r = staff.post("/admin/reconciliation/runs", json={"since": "2026-12-01T08:00:00+08:00", "settle_minutes": 5})
    assert r.status_code == 201, r.json
    assert r.json["ok"] is False and r.json["trigger"] == "api" and r.json["started_by"] == staff_user.id
    assert r.json["settle_minutes"] == 5 and r.json["since"].startswith("2026-12-01T00:00:00")
    assert {x["detail"] for x in r.json["differences"]} >= {"not_zero", "unbalanced", "escrow_vs_postings"}
    assert set(r.json["checked"]) == set(reconciliation.LEDGER_CHECKS)
    again = staff.get(f"/admin/reconciliation/runs/{r.json['id']}")
    assert again.status_code == 200 and again.json == r.json
    assert staff.get("/admin/reconciliation/runs/999999").status_code == 404
    with app.app_context():  # the audit: who ran it, and when
        run = db.session.get(ReconciliationRun, r.json["id"])
        assert run.started_by_id == staff_user.id and run.started_at > datetime.now(UTC) - timedelta(minutes=1)


def test_bad_input_is_the_contracts_error(api, make_user):
    staff = api(make_user("admin"))
    assert staff.post("/admin/reconciliation/runs", json={"settle_minutes": "5"}).status_code == 400
    assert staff.post("/admin/reconciliation/runs", json={"settle_minutes": -1}).status_code == 422
    assert staff.post("/admin/reconciliation/runs", json={"since": "yesterday"}).status_code in (400, 422)


def test_only_staff_run_or_read_reconciliations(api, make_user, app):
    run_id = api(make_user("admin")).post("/admin/reconciliation/runs", json={}).json["id"]
    for role in ("brand", "provider"):
        caller = api(make_user(role))
        assert caller.post("/admin/reconciliation/runs", json={}).status_code == 403
        assert caller.get(f"/admin/reconciliation/runs/{run_id}").status_code == 403
    assert api().get(f"/admin/reconciliation/runs/{run_id}").status_code == 401
    assert len(runs(app)) == 1


def test_the_run_page_says_who_asked(api, make_user, app, login):
    staff_user = make_user("admin")
    run_id = api(staff_user).post("/admin/reconciliation/runs", json={}).json["id"]
    page = login(staff_user).get(f"/finance/reconciliation/{run_id}").get_data(as_text=True)
    asked = page.split('data-testid="asked-by"')[1].split("</dd>")[0]
    assert staff_user.email in asked
    with app.app_context():
        reconciliation.run()  # the daily job's own run: nobody asked
        db.session.commit()
        scheduled = reconciliation.latest()
        assert (scheduled.trigger, scheduled.started_by_id) == ("schedule", None)


def test_the_finance_pages_button_queues_a_run_recorded_as_the_staff_members(app, login, make_user):
    staff_user = make_user("admin")
    r = form_post(login(staff_user), "/finance/reconciliation/run", {}, page="/finance")
    assert r.status_code == 302
    with app.app_context():
        [job] = queue("default").jobs
        assert job.args == ("finance_page", staff_user.id) and job.meta["started_by"] == staff_user.id
        result = job.func(*job.args)  # what the worker does with it
        assert db.session.get(ReconciliationRun, result["run_id"]).started_by_id == staff_user.id
