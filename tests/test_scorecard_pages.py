"""The scorecard pages (issue 15): a tender posted with scorecards from the web form, then the panel,
a declaration, blind private grading, closing and the consensus — each through the page's forms."""
import re
from datetime import UTC, datetime, timedelta

from extensions import db
from models import Tender, User
from tests.support.factories import bid_payload
from tests.support.orgs import join, new_account, team, token_for
from tests.support.web import csrf_token, signed_in


def _post(client, path, page, data):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data}, follow_redirects=True)


def _messages(r) -> list[str]:
    return re.findall(r'class="(?:error|flash[^"]*)">([^<]*)', r.get_data(as_text=True))


def test_scorecard_from_the_form_to_the_consensus(app, client):
    org = team(app, client, "brand", ("procurement",))
    ev_id, _ = join(app, client, org["owner"][1], "brand", "evaluator")
    proc_id = org["procurement"][0]
    with app.app_context():  # the pages in English here; the last test reads them in Chinese
        for uid in (proc_id, ev_id):
            db.session.get(User, uid).locale = "en"
        db.session.commit()
    proc_web, ev_web = signed_in(app, proc_id), signed_in(app, ev_id)
    form = {"title": "Customer service for the flagship store", "category": "customer_service",
            "description": "Pre-sale and after-sale chat, 09:00 to 24:00.", "currency": "CNY",
            "budget_min": "3000", "budget_max": "6000",
            "bid_deadline": (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "rounds": ["proposal"], "blind_grading": "y",
            "criteria": "proposal | staffing plan | 60\nproposal | training | 30"}
    r = _post(proc_web, "/tenders/new", "/tenders/new", form)
    assert r.status_code == 422 and "100" in r.get_data(as_text=True)  # 60 + 30: refused, nothing posted
    form["criteria"] = "proposal | staffing plan | 60\nproposal | training | 40\nproposal | licence | deal-breaker"
    r = _post(proc_web, "/tenders/new", "/tenders/new", form)
    assert r.status_code == 200, _messages(r)
    tender_id = int(re.search(r"/tenders/(\d+)/scorecard", r.get_data(as_text=True)).group(1))
    _, email = new_account(app, "provider", name="Shanghai Service Co")
    bid_id = token_for(client, email).post(f"/tenders/{tender_id}/bids", json=bid_payload(450000)).json["id"]
    with app.app_context():
        db.session.get(Tender, tender_id).bid_deadline = db.session.get(Tender, tender_id).created_at
        db.session.commit()
    page = f"/tenders/{tender_id}/scorecard"
    r = _post(proc_web, f"{page}/panel", page, {"user_ids": [str(ev_id)]})
    assert "Panel saved." in r.get_data(as_text=True)
    # the evaluator sees only the declaration until it declares
    html = ev_web.get(page).get_data(as_text=True)
    assert 'data-testid="declaration"' in html and f'grade-bid-{bid_id}' not in html
    r = _post(ev_web, f"{page}/declaration", page, {"conflict": "no"})
    html = r.get_data(as_text=True)
    assert f'grade-bid-{bid_id}' in html and "Shanghai Service Co" not in html  # blind
    for other_page in (f"/bids/{bid_id}", f"/tenders/{tender_id}/evaluate"):
        r = ev_web.get(other_page)
        assert r.status_code == 200 and "Shanghai Service Co" not in r.get_data(as_text=True), other_page
    with app.app_context():
        ids = {c.name: c.id for c in db.session.get(Tender, tender_id).criteria}
    r = _post(ev_web, f"/bids/{bid_id}/scorecard/grades", page,
              {"round": "proposal", f"c{ids['staffing plan']}": "11"})
    assert "Marks run from 0 to 10" in r.get_data(as_text=True)
    r = _post(ev_web, f"/bids/{bid_id}/scorecard/grades", page,
              {"round": "proposal", f"c{ids['staffing plan']}": "8", f"c{ids['training']}": "6",
               f"c{ids['licence']}": "10"})
    assert "Marks saved." in r.get_data(as_text=True)
    r = _post(proc_web, f"{page}/close", page, {"round": "proposal"})
    html = r.get_data(as_text=True)
    assert "Shanghai Service Co" in html and "72.0" in html  # 60·8/10 + 40·6/10; procurement sees names
    r = _post(proc_web, f"/bids/{bid_id}/scorecard/consensus", page, {"round": "proposal", "score": "80"})
    assert "Say why the consensus differs" in r.get_data(as_text=True)
    r = _post(proc_web, f"/bids/{bid_id}/scorecard/consensus", page,
              {"round": "proposal", "score": "80", "reason": "Strong references."})
    assert "Consensus: 80" in r.get_data(as_text=True)
    assert 'data-testid="openings"' in r.get_data(as_text=True)


def test_scorecard_page_works_in_chinese(app, client):
    org = team(app, client, "brand", ())
    web = signed_in(app, org["owner"][0])
    r = web.get("/tenders/new", headers={"Accept-Language": "zh-CN"})
    assert "评分表" in r.get_data(as_text=True)
