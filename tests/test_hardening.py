"""Regression tests for holes found in review: state escapes, money guards, odd input."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import LedgerPosting, Milestone
from tests.conftest import csrf_token, form_post
from tests.factories import in_days, tender_payload


def test_a_disputed_milestone_cannot_be_delivered_or_changed_out_of_the_dispute(deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    mid = d.milestone_ids[0]
    dispute = d.brand.post(f"/milestones/{mid}/disputes", json={"reason": "quality"}).json["id"]
    assert d.provider.post(f"/milestones/{mid}/deliver", json={"note": "again"}).status_code == 409
    assert d.brand.post(f"/milestones/{mid}/request-changes", json={"note": "redo"}).status_code == 409
    assert d.milestone(0)["status"] == "disputed"
    history = d.staff.get(f"/disputes/{dispute}").json["history"]
    assert history[0]["detail"]["previous_status"] == "delivered"


def test_escrow_pays_out_once_even_if_the_state_were_wrong(deal, app):
    d = deal()
    d.deposit(150000_00)
    d.release(0)
    with app.app_context():  # simulate a lost update that put the milestone back to delivered
        db.session.execute(update(Milestone).where(Milestone.id == d.milestone_ids[0]).values(status="delivered"))
        db.session.commit()
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/accept")
    assert r.status_code == 409 and r.json["error"]["code"] == "escrow_empty"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "release")) == 1


@pytest.mark.parametrize("path", ["/tenders/99999999999999999999", "/tenders?page=99999999999999999999",
                                  "/tenders?budget_min=99999999999999999999", "/providers/99999999999999999999"])
def test_huge_numbers_are_bad_input_not_a_crash(api, path):
    r = api().get(path)
    assert r.status_code in (404, 422), (path, r.status_code)


def test_web_pages_with_huge_numbers(client):
    assert client.get("/tenders?page=99999999999999999999").status_code in (200, 400)
    assert client.get("/tenders/99999999999999999999").status_code in (400, 404)


@pytest.mark.parametrize("amount", ["Infinity", "NaN", "sNaN", "-Infinity"])
def test_non_finite_money_in_forms_is_refused(client, login, make_user, api, amount):
    from tests.factories import tender_payload
    from tests.test_web_bids import bid_form

    tid = api(make_user("brand")).post("/tenders", json=tender_payload()).json["id"]
    login(make_user("provider"))
    r = form_post(client, f"/tenders/{tid}/bid", bid_form(amount=amount))
    assert r.status_code == 422


def test_slot_far_in_the_future_is_422(market):
    m = market(1, rounds=["pitch"])
    bid = m.bid(0)
    m.close()
    r = m.brand.post(f"/bids/{bid['id']}/slots", json={"starts_at": "9999-12-31T23:59:00-05:00", "location": "here"})
    assert r.status_code == 422
    later = m.brand.post(f"/bids/{bid['id']}/slots", json={"starts_at": in_days(800), "location": "here"})
    assert later.status_code == 422


@pytest.mark.parametrize("target", ["/\\evil.example", "/%09/evil.example", "/\t/evil.example"])
def test_login_never_redirects_off_site(client, make_user, target):
    from tests.conftest import PASSWORD

    user = make_user("brand")
    r = form_post(client, "/login?next=" + target, {"email": user.email, "password": PASSWORD}, page="/login")
    assert r.headers["Location"] in ("/", "http://witkey.test/")


def test_withdrawn_bid_cannot_be_awarded_afterwards(market):
    m = market(2)
    a, b = m.bid(0), m.bid(1)
    m.close()
    assert m.providers[0].post(f"/bids/{a['id']}/withdraw").status_code == 200
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": a["id"]}).status_code == 409
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": b["id"]}).status_code == 201


def test_one_failing_milestone_does_not_stop_the_auto_release_sweep(deal, app, monkeypatch):
    from services import escrow
    from workers import jobs

    d = deal()
    d.deposit(450000_00)
    for i in range(3):
        d.fund(i)
        d.deliver(i)
    with app.app_context():
        for mid in d.milestone_ids:
            db.session.get(Milestone, mid).delivered_at = datetime.now(UTC) - timedelta(days=15)
        db.session.commit()
    real = escrow.auto_release

    def flaky(milestone_id, now):
        if milestone_id == d.milestone_ids[0]:
            raise RuntimeError("disk full")
        return real(milestone_id, now)

    monkeypatch.setattr(escrow, "auto_release", flaky)
    with app.app_context():
        result = jobs.release_due_milestones()
    assert result["released"] == 2 and result["failed"] == [d.milestone_ids[0]]
    assert [d.milestone(i)["status"] for i in range(3)] == ["delivered", "released", "released"]


def test_a_refused_delivery_leaves_no_file_behind(client, login, deal, app):
    """Two files, the second of a type that is refused: nothing is delivered, and the first file,
    already written, is removed with the rolled-back transaction."""
    from pathlib import Path

    from models import Milestone, User

    d = deal()
    mid = d.milestone_ids[0]
    d.deposit(150000_00)
    d.fund(0)
    with app.app_context():
        provider = db.session.get(User, d.provider.get("/me").json["id"])
        uploads = Path(app.config["UPLOAD_DIR"])
    login(provider)
    data = {"note": "Two files", "links": "",
            "files": [(io.BytesIO(b"%PDF-1.4 deck" + b"0" * 100), "good.pdf"),
                      (io.BytesIO(b"just text"), "bad.txt")],
            "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")}
    r = client.post(f"/contracts/milestones/{mid}/deliver", data=data, content_type="multipart/form-data",
                    headers={"Accept-Language": "en"})
    assert r.status_code == 302
    assert "Allowed: PDF, images" in client.get(r.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Milestone, mid).status == "funded"
    assert not [path for path in (uploads / "deliveries" / str(mid)).rglob("*") if path.is_file()]


def test_odd_input_is_refused_without_a_server_error(api, deal, make_user):
    """Inputs that once raised inside the app: a link no URL parser can read, a job id rq could never
    have made, a KPI target that rounds up past the limit, a file name of control characters."""
    d = deal()
    mid = d.milestone_ids[0]
    d.deposit(150000_00)
    d.fund(0)
    r = d.provider.post(f"/milestones/{mid}/deliver", json={"note": "x", "links": ["http://[::1"]})
    assert r.status_code == 422 and "links" in r.json["error"]["fields"]
    assert api(make_user("brand")).get("/jobs/a.b").status_code == 404
    brand = api(make_user("brand"))
    r = brand.post("/tenders", json=tender_payload(kpis=[{"name": "x", "target": "9999999999.99995", "unit": "s"}]))
    assert r.status_code == 422
    from services.storage import _display_name
    assert _display_name("\x01\x02") == "file" and _display_name("a/\x01b.pdf") == "b.pdf"


def test_text_with_a_nul_character_is_refused_the_same_on_every_database(api, make_user, client):
    """PostgreSQL text cannot hold U+0000: a JSON body, a query string or a form carrying it gets a clear
    400 that names the problem (not a database error dressed as a number out of range)."""
    brand = api(make_user("brand"))
    r = brand.post("/tenders", json=tender_payload(title="Chat\x00team"))
    assert r.status_code == 400 and "NUL" in r.json["error"]["message"]
    assert brand.get("/tenders?q=a\x00b").status_code == 400
    assert client.get("/tenders?q=a%00b").status_code == 400
    assert brand.get("/tenders", query_string={"q": "chat"}).status_code == 200
    nested = brand.post("/tenders", json=tender_payload(kpis=[{"name": "x\x00", "target": "1", "unit": "s"}]))
    assert nested.status_code == 400
    # an escaped backslash before "u0000" is six characters of text, not a NUL
    escaped = brand.post("/tenders", json=tender_payload(title="Path C:\\u0000 team"))
    assert escaped.status_code == 201 and escaped.json["title"] == "Path C:\\u0000 team"
    deep = brand.post("/tenders", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code in (400, 422)
    wrong = brand.get("/tenders?page=abc")
    assert wrong.status_code == 400 and wrong.json["error"]["fields"]["page"] and "wrong type" in \
        brand.get("/tenders?page=abc", headers={"Accept-Language": "en"}).json["error"]["message"]


def test_stray_query_words_on_paged_lists_are_ignored(client, login, make_user, app):
    """`endpoint`, `_external` or `_method` in a query string are not filters: page links and the
    redirect past the last page carry only the list's own filters (url_for once took them as its own)."""
    from models import ProviderProfile

    users = [make_user("provider") for _ in range(25)]  # two directory pages
    with app.app_context():
        for user in users:
            db.session.get(ProviderProfile, user.id).verification_status = "verified"
        db.session.commit()
    for query in ("endpoint=x", "_external=1", "_method=POST", "page=9&endpoint=x&verified=y"):
        response = client.get(f"/providers?{query}")
        assert response.status_code in (200, 302), query
        assert "endpoint" not in response.headers.get("Location", "")
    for odd in ("0", "x"):  # an unreadable page number starts over at the first page, filters kept
        response = client.get(f"/providers?page={odd}&verified=y")
        assert response.status_code == 302 and response.headers["Location"].endswith("/providers?verified=y")
    assert client.get("/tenders?endpoint=x&_anchor=y").status_code == 200
    login(make_user("admin"))
    assert client.get("/disputes/queue?endpoint=x&status=open").status_code == 200
