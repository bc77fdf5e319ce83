"""The staff audit log (issue 14): every staff action, done through the pages or the API as staff do it,
leaves exactly one entry with who, on what, to whom, before → after and why; an action that fails or
rolls back leaves none; staff search the log on /admin/audit and GET /api/v1/admin/audit."""
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from extensions import db
from i18n.labels import STAFF_ACTION_LABELS
from models import Payout, PayoutBatch, ProviderProfile, StaffAction, User
from services import audit, profiles
from services.registration_numbers import complete
from services.runners import payout_batch
from tests.support.chargebacks import case_of, open_dispute, released_by_card, web_client, webhook
from tests.support.web import apply_for_verification, form_post, otp_for
from tests.test_browser import login_as

NUMBER = complete("91440300MA5000789")
EN = {"Accept-Language": "en"}
SCORES = {"quality": 5, "communication": 4, "timeliness": 4, "professionalism": 5}


class Log:
    """The entries written since the last look (the fixtures' own staff accounts write one each)."""

    def __init__(self, app):
        self.app = app
        self.seen = self._last()

    def _last(self) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.coalesce(func.max(StaffAction.id), 0)))

    def new(self) -> list[dict]:
        with self.app.app_context():
            rows = db.session.scalars(select(StaffAction).where(StaffAction.id > self.seen)
                                      .order_by(StaffAction.id)).all()
            found = [{column: getattr(row, column) for column in (
                "id", "actor_id", "action", "subject_type", "subject_id", "affected_user_id", "other_user_id",
                "before", "after", "reason")} for row in rows]
        self.seen = self._last()
        return found

    def one(self) -> dict:
        """The single entry the last action wrote (and fail if it wrote none, or more)."""
        entries = self.new()
        assert len(entries) == 1, entries
        return entries[0]


@pytest.fixture
def log(app):
    return lambda: Log(app)


def applied(api, make_user):
    """A provider that applied for verification with NUMBER."""
    provider = make_user("provider")
    apply_for_verification(api(provider), NUMBER)
    return provider


# --- every staff action, one entry each ------------------------------------------------------------

def test_verifying_and_rejecting_providers_are_recorded(api, make_user, log):
    staff_user = make_user("admin")
    staff = api(staff_user)
    first, second = applied(api, make_user), make_user("provider")
    entries = log()
    r = staff.post(f"/admin/providers/{first.id}/verify", json={"checked_number": NUMBER, "note": "Licence checked"})
    assert r.status_code == 200
    assert entries.one() | {"id": None} == {
        "id": None, "actor_id": staff_user.id, "action": "provider.verify", "subject_type": "provider",
        "subject_id": first.id, "affected_user_id": first.id, "other_user_id": None,
        "before": {"verification_status": "pending", "verified_registration_number": None},
        "after": {"verification_status": "verified", "verified_registration_number": NUMBER},
        "reason": "Licence checked"}
    r = staff.post(f"/admin/providers/{second.id}/reject", json={"reason": "No business licence attached"})
    assert r.status_code == 200
    entry = entries.one()
    assert (entry["action"], entry["subject_id"], entry["affected_user_id"], entry["reason"]) == (
        "provider.reject", second.id, second.id, "No business licence attached")
    assert (entry["before"]["verification_status"], entry["after"]["verification_status"]) == ("unsubmitted",
                                                                                                "rejected")


def test_deposit_and_dispute_decision_are_recorded_with_money_and_both_parties(deal, log):
    d = deal()
    staff_id = d.staff.get("/me").json["id"]
    provider_id = d.provider.get("/me").json["id"]
    entries = log()
    d.deposit(150000_00, reference="ICBC 2026-001")
    deposit = entries.one()
    assert (deposit["action"], deposit["actor_id"], deposit["subject_type"], deposit["affected_user_id"]) == (
        "deposit.record", staff_id, "deposit", d.brand_id)
    assert deposit["before"] == {"wallet_balance": 0, "currency": "CNY"}
    assert deposit["after"] == {"wallet_balance": 150000_00, "currency": "CNY", "amount": 150000_00,
                                "reference": "ICBC 2026-001"}

    d.fund(0)
    mid = d.milestone_ids[0]
    dispute = d.brand.post(f"/milestones/{mid}/disputes", json={"reason": "quality"}).json["id"]
    assert entries.new() == []  # the parties' own steps are not staff actions
    r = d.staff.post(f"/disputes/{dispute}/resolve", json={"provider_amount": 100000_00, "reason": "Half was usable"})
    assert r.status_code == 200
    decided = entries.one()
    assert decided | {"id": None} == {
        "id": None, "actor_id": staff_id, "action": "dispute.decide", "subject_type": "dispute", "subject_id": dispute,
        "affected_user_id": provider_id, "other_user_id": d.brand_id, "reason": "Half was usable",
        "before": {"status": "open", "milestone_status": "disputed", "currency": "CNY"},
        "after": {"status": "resolved", "milestone_status": "resolved", "currency": "CNY",
                  "provider_amount": 100000_00, "commission": 10000_00, "refund": 50000_00}}


def test_payout_batch_and_marking_payouts_are_recorded(app, make_user, login, api, earnings):
    paid_to, failed_to = earnings(2, amount=1234_56)
    staff_user = make_user("admin")
    client = login(staff_user)
    entries = Log(app)
    assert form_post(client, "/payouts/batches/run", {}, page="/payouts/batches").status_code == 302
    started = entries.one()
    with app.app_context():
        batch = db.session.scalar(select(PayoutBatch))
        assert (started["action"], started["actor_id"], started["subject_type"], started["subject_id"]) == (
            "payout_batch.request", staff_user.id, "payout_batch", batch.id)
        assert started["before"] is None and started["after"]["job_id"] == batch.job_id
        payout_batch.run_batch(batch.id)
        ids = {p.provider_id: p.id for p in db.session.scalars(select(Payout))}
    staff = api(staff_user)
    paid = staff.post(f"/admin/payouts/{ids[paid_to]}/paid", json={"reference": "ICBC-77"},
                      headers={"Idempotency-Key": "mark-77"})
    again = staff.post(f"/admin/payouts/{ids[paid_to]}/paid", json={"reference": "ICBC-77"},
                       headers={"Idempotency-Key": "mark-77"})
    assert paid.status_code == again.status_code == 200
    entry = entries.one()  # the replayed request changed nothing, so it recorded nothing
    assert (entry["action"], entry["subject_type"], entry["subject_id"], entry["affected_user_id"]) == (
        "payout.mark_paid", "payout", ids[paid_to], paid_to)
    assert (entry["before"]["status"], entry["after"]["status"], entry["after"]["bank_reference"]) == (
        "pending", "paid", "ICBC-77")
    assert staff.post(f"/admin/payouts/{ids[failed_to]}/failed", json={"reason": "Name mismatch"}).status_code == 200
    entry = entries.one()
    assert (entry["action"], entry["affected_user_id"], entry["reason"], entry["before"]["status"],
            entry["after"]["status"]) == ("payout.mark_failed", failed_to, "Name mismatch", "pending", "failed")


def test_review_moderation_is_recorded(track_record, api, make_user, log):
    provider, provider_id, [(brand, contract)] = track_record(1)
    brand_id = brand.get("/me").json["id"]
    rude = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Rude!!"}).json["id"]
    fair = provider.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Fine"}).json["id"]
    assert provider.post(f"/reviews/{rude}/reports", json={"reason": "Insulting"}).status_code == 201
    assert brand.post(f"/reviews/{fair}/reports", json={"reason": "Untrue"}).status_code == 201
    staff_user = make_user("admin")
    staff = api(staff_user)
    entries = log()
    assert staff.post(f"/admin/reviews/{rude}/hide", json={"reason": "Abusive language"}).status_code == 200
    hidden = entries.one()
    assert hidden | {"id": None} == {
        "id": None, "actor_id": staff_user.id, "action": "review.hide", "subject_type": "review", "subject_id": rude,
        "affected_user_id": brand_id, "other_user_id": provider_id, "reason": "Abusive language",
        "before": {"hidden": False, "published": True, "open_reports": 1, "contract_id": contract},
        "after": {"hidden": True, "published": False, "open_reports": 0, "contract_id": contract}}
    assert staff.post(f"/admin/reviews/{fair}/keep", json={"reason": "A fair opinion"}).status_code == 200
    kept = entries.one()
    assert (kept["action"], kept["subject_id"], kept["affected_user_id"], kept["reason"],
            kept["before"]["open_reports"], kept["after"]["open_reports"]) == (
        "review.keep", fair, provider_id, "A fair opinion", 1, 0)


def test_reconciliation_runs_and_rating_recomputes_staff_start_are_recorded(app, api, make_user, login, log):
    staff_user = make_user("admin")
    staff = api(staff_user)
    entries = log()
    run = staff.post("/admin/reconciliation/runs", json={"settle_minutes": 5})
    assert run.status_code == 201
    entry = entries.one()
    assert (entry["action"], entry["actor_id"], entry["subject_type"], entry["subject_id"]) == (
        "reconciliation.run", staff_user.id, "reconciliation_run", run.json["id"])
    assert entry["after"] | {"since": None} == {"ok": run.json["ok"], "differences": len(run.json["differences"]),
                                                "since": None, "settle_minutes": 5}

    recompute = staff.post("/admin/ratings/recompute")
    assert recompute.status_code == 202
    entry = entries.one()
    assert (entry["action"], entry["subject_type"], entry["after"]) == (
        "ratings.recompute", "ratings", {"job_id": recompute.json["job_id"]})

    assert form_post(login(staff_user), "/finance/reconciliation/run", {}, page="/finance").status_code == 302
    entry = entries.one()
    assert (entry["action"], entry["actor_id"]) == ("reconciliation.request", staff_user.id)


def test_staff_accounts_made_on_the_command_line_are_recorded_without_an_actor(app, make_user, login, log):
    entries = log()
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "ops@witkey.example.com",
                                                "--password", "long enough pw 2026", "--name", "Ops"])
    assert result.exit_code == 0, result.output
    entry = entries.one()
    with app.app_context():
        made = User.by_email("ops@witkey.example.com").id
    assert (entry["actor_id"], entry["action"], entry["subject_type"], entry["subject_id"], entry["affected_user_id"],
            entry["before"], entry["after"]) == (
        None, "user.create_admin", "user", made, made, None,
        {"email": "ops@witkey.example.com", "display_name": "Ops", "role": "admin"})
    refused = app.test_cli_runner().invoke(args=["users", "create-admin", "ops@witkey.example.com",
                                                 "--password", "long enough pw 2026"])
    assert refused.exit_code != 0 and entries.new() == []  # already there: nothing made, nothing recorded
    page = login(make_user("admin")).get("/admin/audit?actor=cli", headers=EN).get_data(as_text=True)
    assert "Command line" in page and "Staff account created" in page and "ops@witkey.example.com" in page


# --- failures leave nothing ------------------------------------------------------------------------

def test_a_refused_or_rolled_back_staff_action_leaves_no_entry(app, api, make_user, log):
    provider, staff_user = applied(api, make_user), make_user("admin")
    staff = api(staff_user)
    entries = log()
    assert staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": "nonsense"}).status_code == 422
    assert staff.post(f"/admin/providers/{provider.id + 999}/reject", json={"reason": "Nope"}).status_code == 404
    assert staff.post("/admin/deposits", json={"user_id": provider.id, "amount": 100, "currency": "CNY",
                                               "reference": "REF-1"}).status_code == 422  # not a brand
    assert api(make_user("brand")).post(f"/admin/providers/{provider.id}/verify",
                                        json={"checked_number": NUMBER}).status_code == 403
    assert entries.new() == []
    # A verification that went through in the service, then rolled back with its transaction (a later
    # step of the same request failed): neither the change nor its entry is there.
    with app.test_request_context():
        staff_row = db.session.get(User, staff_user.id)
        profiles.verify_provider(staff_row, provider.id, checked_number=NUMBER)
        db.session.flush()
        assert db.session.scalar(select(func.count()).select_from(StaffAction)
                                 .where(StaffAction.action == "provider.verify")) == 1  # written, not committed
        db.session.rollback()
    assert entries.new() == []
    with app.app_context():
        assert db.session.get(ProviderProfile, provider.id).verification_status == "pending"


# --- reading the log -------------------------------------------------------------------------------

@pytest.fixture
def history(api, make_user, app):
    """Two staff members' actions: Li verifies one provider, Wang rejects another (with reasons)."""
    li, wang = make_user("admin"), make_user("admin")
    good, bad = applied(api, make_user), make_user("provider", email="bad-provider@example.com")
    assert api(li).post(f"/admin/providers/{good.id}/verify",
                        json={"checked_number": NUMBER, "note": "Checked against the licence"}).status_code == 200
    assert api(wang).post(f"/admin/providers/{bad.id}/reject",
                          json={"reason": "Licence photo is unreadable"}).status_code == 200
    return li, wang, good, bad


def rows(html: str) -> list[str]:
    return html.split('data-testid="audit-entry-')[1:]


def test_the_staff_page_lists_newest_first_with_changes_and_filters(history, make_user, login):
    li, wang, good, bad = history
    client = login(make_user("admin"))
    page = client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert 'href="/admin/audit"' in page  # in the staff navigation
    # newest first: this viewer's own account, made last, then the two decisions, then the deciders' accounts
    [_viewer, rejected, verified, *_made] = rows(page)
    assert "Provider rejected" in rejected and "Licence photo is unreadable" in rejected
    assert "Awaiting review" not in rejected and "Not submitted" in rejected and "Rejected" in rejected
    assert "Provider verified" in verified and "Checked against the licence" in verified
    assert "Awaiting review" in verified and NUMBER in verified  # before → after, changed fields only
    assert f'href="/admin/providers/{good.id}"' in verified  # the subject's staff page
    assert all("Command line" in row for row in _made)

    def shown(query: str) -> list[str]:
        return [row.split('"')[0] for row in rows(client.get(f"/admin/audit?{query}", headers=EN)
                                                   .get_data(as_text=True))]

    assert len(shown(f"actor={li.id}")) == 1
    assert "Provider verified" in client.get(f"/admin/audit?actor={li.id}", headers=EN).text
    assert len(shown("action=provider.reject")) == 1
    assert len(shown(f"subject_type=provider&subject_id={good.id}")) == 1
    assert len(shown("affected=BAD-provider@example.com")) == 1 == len(shown(f"affected={bad.id}"))
    assert shown("affected=nobody@example.com") == []
    assert len(shown("q=UNREADABLE")) == 1 and shown("q=%25") == []  # a wildcard is a character here
    assert len(shown("date_from=2000-01-01&date_to=2100-01-01&action=provider.reject")) == 1
    assert len(shown("date_from=0001-01-01&date_to=9999-12-31&action=provider.reject")) == 1  # open ends
    assert shown("date_to=2000-01-01") == []
    refused = client.get("/admin/audit?date_from=2026-12-06&date_to=2026-12-01", headers=EN)
    assert refused.status_code == 422 and "before the start date" in refused.text
    # The staff view of an account leads to everything staff did to it.
    assert f'href="/admin/audit?affected={good.id}"' in client.get(f"/admin/providers/{good.id}").text


def test_the_page_speaks_chinese_too(history, make_user, login):
    page = login(make_user("admin")).get("/admin/audit", headers={"Accept-Language": "zh-CN"}).text
    assert "服务商已认证" in page and "员工操作日志" in page


def test_days_are_the_viewers_days(history, app):
    """An action at 17:00 UTC on Dec 5 is Dec 6 in Shanghai: each viewer's day decides."""
    with app.app_context():
        entry = db.session.scalar(select(StaffAction).where(StaffAction.action == "provider.reject"))
        entry.created_at = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
        db.session.commit()

        def found(day: date, zone: str) -> bool:
            filters = audit.Filters(action="provider.reject", date_from=day, date_to=day, timezone=zone)
            return audit.search(filters).total == 1

        assert found(date(2026, 12, 6), "Asia/Shanghai") and not found(date(2026, 12, 5), "Asia/Shanghai")
        assert found(date(2026, 12, 5), "UTC") and not found(date(2026, 12, 6), "UTC")


def test_only_staff_read_the_log(history, make_user, login, client, api):
    assert client.get("/admin/audit").status_code == 302  # to the login page
    assert login(make_user("brand")).get("/admin/audit").status_code == 403
    assert api().get("/admin/audit").status_code == 401
    assert api(make_user("provider")).get("/admin/audit").status_code == 403


def test_the_api_lists_the_log_with_the_same_filters(history, api, make_user):
    li, wang, good, bad = history
    staff = api(make_user("admin"))
    everything = staff.get("/admin/audit?per_page=2")
    assert everything.status_code == 200
    assert set(everything.json) == {"items", "page", "per_page", "total", "total_is_estimate"}  # the lists' shape
    assert everything.json["per_page"] == 2
    newest = everything.json["items"][1]  # after the viewer's own account, made last
    assert (newest["action"], newest["actor_id"], newest["actor_name"], newest["subject_id"], newest["reason"]) == (
        "provider.reject", wang.id, wang.display_name, bad.id, "Licence photo is unreadable")
    assert newest["changes"] == [{"field": "verification_status", "before": "unsubmitted", "after": "rejected"}]
    verified = staff.get(f"/admin/audit?actor_id={li.id}&action=provider.verify&affected={good.email}").json
    assert verified["total"] == 1 and verified["items"][0]["after"]["verified_registration_number"] == NUMBER
    assert staff.get("/admin/audit?command_line=true").json["total"] == 3  # the three staff accounts made here
    assert staff.get("/admin/audit?q=licence&subject_type=provider").json["total"] == 2
    bad_range = staff.get("/admin/audit?date_from=2026-12-06&date_to=2026-12-01")
    assert bad_range.status_code == 422 and bad_range.json["error"]["code"] == "invalid"
    assert staff.get("/admin/audit?per_page=101").status_code in (400, 422)
    assert staff.get("/admin/audit?subject_type=planet").status_code in (400, 422)




def test_chargeback_staff_actions_are_recorded(deal, stripe_app, empty_stripe, app, make_user):
    """On the Stripe test servers: staff save evidence, submit it, and find the provider at fault."""
    d = deal()
    _milestone, intent_id = released_by_card(d, stripe_app, empty_stripe, app)
    dispute = open_dispute(empty_stripe, intent_id)
    assert webhook(stripe_app, "charge.dispute.created", dispute, "evt_audit").status_code == 200
    case = case_of(app, dispute["id"])
    provider_id = d.provider.get("/me").json["id"]
    staff_user = make_user("admin")
    staff = web_client(stripe_app, staff_user.email)
    entries = Log(app)
    page = f"/chargebacks/{case.id}"
    fields = {"product_description": "Retouched product photos", "uncategorized_text": "Delivered 40 SKUs."}
    assert form_post(staff, f"{page}/evidence", fields, page=page).status_code == 302
    saved = entries.one()
    assert (saved["action"], saved["actor_id"], saved["subject_type"], saved["subject_id"], saved["affected_user_id"],
            saved["other_user_id"]) == ("chargeback.save_evidence", staff_user.id, "chargeback", case.id, provider_id,
                                        d.brand_id)
    assert (saved["before"]["evidence_submitted"], saved["after"]["evidence_submitted"],
            saved["after"]["uncategorized_text"]) == (False, False, "Delivered 40 SKUs.")
    assert form_post(staff, f"{page}/evidence", {**fields, "submit": "1"}, page=page).status_code == 302
    submitted = entries.one()
    assert (submitted["action"], submitted["after"]["evidence_submitted"], submitted["after"]["status"]) == (
        "chargeback.submit_evidence", True, "under_review")
    reason = "Evidence from the bank shows the photos were never delivered in full."
    assert form_post(staff, f"{page}/provider-at-fault", {"reason": reason}, page=page).status_code == 302
    fault = entries.one()
    assert (fault["action"], fault["reason"], fault["before"]["loss_bearer"], fault["after"]["loss_bearer"],
            fault["after"]["recovery_cap"]) == ("chargeback.provider_at_fault", reason, "platform", "provider",
                                                135000_00)  # what the provider got for the milestone


def test_the_log_reads_at_390_pixels(new_page, history, make_user, app):
    """On a phone the log stacks each entry under its labels: nothing is wider than the screen."""
    staff_user = make_user("admin")
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(page, staff_user.email, otp_for(app, staff_user.email))
    page.goto("/admin/audit")
    assert page.locator('[data-testid^="audit-entry-"]').count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.select_option("#action", "provider.reject")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url("**/admin/audit?*action=provider.reject*")
    assert page.locator('[data-testid^="audit-entry-"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_every_recorded_action_is_in_the_vocabulary_with_a_name_in_both_languages(app):
    """An action recorded by any service appears in the page's action filter and reads as words, not as its
    code (a module that records a new action without naming it fails here)."""
    recorded = set()
    for path in Path(app.root_path, "services").rglob("*.py"):
        recorded |= set(re.findall(r'(?:audit\.record|_audit)\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert {"provider.verify", "user.suspend", "dispute.correction_approve"} <= recorded  # the scan finds calls
    assert recorded <= set(audit.ACTIONS), recorded - set(audit.ACTIONS)
    with app.test_request_context():
        for locale in ("en", "zh_CN"):
            with force_locale(locale):
                for action in audit.ACTIONS:
                    assert action in STAFF_ACTION_LABELS and str(STAFF_ACTION_LABELS[action]) != action
