"""The smaller things a new user hit (issue 17 item 5), each held by a test that failed on the code
before its fix: what the pages say and link to, in both languages, and what staff buttons create."""
import io
import re

from sqlalchemy import func, select

from extensions import db
from models import Bid, PayoutBatch
from tests.support.web import as_user, csrf_token, form_post
from workers import jobs

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _email(caller) -> str:
    return caller.get("/me").json["email"]


def test_the_api_token_help_shows_the_header_with_a_placeholder_not_a_raw_tag(client, login, make_user):
    login(make_user("brand"))
    html = client.get("/account", headers=EN).get_data(as_text=True)
    help_text = re.search(r'data-testid="token-help">(.*?)</p>', html, re.S).group(1)
    assert "<token>" not in help_text and "Bearer ." not in help_text
    assert "<code>Authorization: Bearer <var>your token</var></code>" in help_text


def test_wallet_entries_speak_the_interface_language(app, client, login, make_user, api):
    brand = make_user("brand")
    staff = api(make_user("admin"))
    r = staff.post("/admin/deposits", json={"user_id": brand.id, "amount": 5000_00, "currency": "CNY",
                                            "reference": "ICBC 2026 0042"})
    assert r.status_code == 201, r.json
    login(brand)
    html = client.get("/wallet", headers=ZH).get_data(as_text=True)
    assert "银行转账入账" in html and "bank transfer" not in html
    assert "参考号 ICBC 2026 0042" in html


def test_the_dispute_log_says_a_dispute_was_opened_not_when(app, deal, client, login, make_user):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality",
                                                                          "statement": "The images are blurry."})
    assert r.status_code == 201, r.json
    login(make_user("admin"))  # the audit trail is staff's
    html = client.get(f"/disputes/{r.json['id']}", headers=ZH).get_data(as_text=True)
    log = html[html.index('data-testid="audit"'):]
    assert "<td>发起争议</td>" in log and "<td>发起时间</td>" not in log


def test_the_dispute_queue_names_the_parties_in_the_party_columns(app, deal, client, login, make_user):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).status_code == 201
    brand_name, provider_name = d.brand.get("/me").json["display_name"], d.provider.get("/me").json["display_name"]
    login(make_user("admin"))
    html = client.get("/disputes/queue", headers=EN).get_data(as_text=True)
    brand_cell = re.search(r'data-testid="queue-brand">(.*?)</td>', html, re.S).group(1)
    provider_cell = re.search(r'data-testid="queue-provider">(.*?)</td>', html, re.S).group(1)
    assert brand_name in brand_cell and provider_name in provider_cell
    assert "Waiting" in brand_cell or "Responded" in brand_cell  # the response state stays, beside the name


def test_the_winning_provider_is_congratulated_and_led_to_its_contract(deal, client, login):
    d = deal()
    tender_id = d.brand.get(f"/contracts/{d.contract_id}").json["tender_id"]
    login(as_user(_email(d.provider)))
    html = client.get(f"/tenders/{tender_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="won"' in html and "You won this tender" in html
    assert f'href="/contracts/{d.contract_id}" data-testid="won-contract"' in html
    assert "Bidding on this tender has closed." not in html and "Earlier bid:" not in html


def test_the_brands_change_request_is_shown_with_the_delivery_not_folded_away(deal, client, login):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    note = "Please reshoot the three product photos on a white background."
    assert d.brand.post(f"/milestones/{d.milestone_ids[0]}/request-changes", json={"note": note}).status_code == 200
    login(as_user(_email(d.provider)))
    html = client.get(f"/contracts/{d.contract_id}", headers=EN).get_data(as_text=True)
    shown = re.search(rf'data-testid="change-request-{d.milestone_ids[0]}">(.*?)</div>', html, re.S)
    assert shown is not None and note in shown.group(1)
    assert html.index(note) < html.index("<summary>History</summary>")


def test_a_netdisk_line_links_the_address_and_keeps_the_extraction_code_beside_it(deal, client, login):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    line = "https://pan.baidu.com/s/1AbCdEf 提取码 x7k2"
    r = d.provider.post(f"/milestones/{d.milestone_ids[0]}/deliver", json={"note": "All files", "links": [line]})
    assert r.status_code == 200, r.json
    login(as_user(_email(d.brand)))
    html = client.get(f"/contracts/{d.contract_id}").get_data(as_text=True)
    assert 'href="https://pan.baidu.com/s/1AbCdEf"' in html
    assert re.search(r'https://pan\.baidu\.com/s/1AbCdEf</a> <span class="link-extra">提取码 x7k2</span>', html)
    assert "x7k2\"" not in html  # the code is in no address


def test_deadlines_show_no_seconds(market, client, login, make_user):
    m = market(1)
    login(make_user("provider"))
    for headers in (EN, ZH):
        html = client.get(f"/tenders/{m.tender_id}", headers=headers).get_data(as_text=True)
        assert not re.search(r"\d:\d\d:\d\d", html), re.search(r".{40}\d:\d\d:\d\d.{20}", html).group(0)


def test_no_empty_payout_batch_when_nothing_is_due(app, client, login, make_user, earnings):
    login(make_user("admin"))
    r = form_post(client, "/payouts/batches/run", {}, page="/payouts/batches", headers=EN)
    assert r.status_code == 302
    assert "Nothing is due for payout" in client.get("/payouts/batches", headers=EN).get_data(as_text=True)
    with app.app_context():
        assert jobs.settle_payouts() == {"skipped": "nothing_due"}
        assert db.session.scalar(select(func.count()).select_from(PayoutBatch)) == 0
    earnings(1)  # now someone is owed money: the button starts a batch
    assert form_post(client, "/payouts/batches/run", {}, page="/payouts/batches").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PayoutBatch)) == 1



# --- forms keep what was typed and chosen ---------------------------------------------------------------

def _bid_form(amount="450000", rows=3, **overrides):
    data = {"amount": amount, "delivery_days": "90", "proposal": "## Plan\nA team of **40 agents**."}
    share = int(amount) // rows
    for i in range(rows):
        data |= {f"milestones-{i}-title": f"Step {i + 1}", f"milestones-{i}-amount": str(share),
                 f"milestones-{i}-due_days": str(10 * (i + 1))}
    return data | overrides


def test_a_bid_can_have_more_than_three_milestones(app, market, client, login):
    m = market(1)
    login(m.provider_users[0])
    page = client.get(f"/tenders/{m.tender_id}/bid").get_data(as_text=True)
    assert page.count('data-testid="milestone-row"') == 3 and 'data-testid="more-rows"' in page
    typed = _bid_form(rows=3) | {"more_rows": "1"}
    r = form_post(client, f"/tenders/{m.tender_id}/bid", typed)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.count('data-testid="milestone-row"') == 4 and 'value="Step 3"' in html  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bid)) == 0  # adding a row saves nothing
    r = form_post(client, f"/tenders/{m.tender_id}/bid", _bid_form(amount="450000", rows=5),
                  page=f"/tenders/{m.tender_id}/bid")
    assert r.status_code == 302, r.get_data(as_text=True)[:1500]
    bid = m.providers[0].get(f"/tenders/{m.tender_id}/bids").json["items"][0]
    assert len(bid["milestones"]) == 5


def test_a_refused_bid_says_which_attachments_were_not_saved(app, market, client, login):
    m = market(1)
    login(m.provider_users[0])
    data = _bid_form(amount="400000") | {"amount": "450000"}  # the plan does not add up: refused
    data["files"] = (io.BytesIO(b"%PDF-1.4 deck" + b"0" * 100), "deck.pdf")
    r = client.post(f"/tenders/{m.tender_id}/bid", content_type="multipart/form-data",
                    data={**data, "csrf_token": csrf_token(client, f"/tenders/{m.tender_id}/bid")}, headers=EN)
    assert r.status_code == 422
    notice = re.search(r'data-testid="files-dropped">(.*?)</p>', r.get_data(as_text=True), re.S)
    assert notice is not None and "deck.pdf" in notice.group(1) and "Choose them again" in notice.group(1)


def test_a_refused_staff_decision_keeps_the_amount_and_reason_typed(app, deal, client, login, make_user):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    dispute_id = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).json["id"]
    login(make_user("admin"))
    page = f"/disputes/{dispute_id}"
    r = form_post(client, f"/disputes/{dispute_id}/resolve",
                  {"provider_amount": "999999.00", "reason": "Half the photos were usable."}, page=page, headers=EN)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="999999.00"' in html and "Half the photos were usable." in html
    assert re.search(r'class="field\s+has-error"', html)
    r = form_post(client, f"/disputes/{dispute_id}/resolve", {"provider_amount": "12.345", "reason": "x"},
                  page=page, headers=EN)
    assert r.status_code == 422 and 'value="12.345"' in r.get_data(as_text=True)
    assert d.brand.get(f"/disputes/{dispute_id}").json["status"] == "open"  # nothing decided


def test_invitations_are_ticked_not_ctrl_clicked(market, client, login, make_user, api):
    m = market(1)
    others = [make_user("provider") for _i in range(2)]
    for i, user in enumerate(others):
        r = api(user).put("/me/provider-profile", json={
            "company_name": f"Invitee {i}", "categories": ["customer_service"], "province": "guangdong",
            "city": "广州", "team_size": 5, "description": "Chat support"})
        assert r.status_code == 200, r.json
    login(as_user(_email(m.brand)))
    html = client.get(f"/tenders/{m.tender_id}", headers=EN).get_data(as_text=True)
    section = html[html.index('id="invite"'):]
    section = section[:section.index("</section>")]
    assert "<select" not in section and section.count('type="checkbox" name="provider_ids"') >= 2
    r = form_post(client, f"/tenders/{m.tender_id}/invitations", {"provider_ids": [str(u.id) for u in others]},
                  page=f"/tenders/{m.tender_id}")
    assert r.status_code == 302
    invited = client.get(f"/tenders/{m.tender_id}", headers=EN).get_data(as_text=True)
    names = [u.display_name for u in others]
    assert all(name in invited[invited.index("Invited:"):] for name in names)


def test_the_proposal_preview_is_rendered_and_sanitised_on_the_server(market, client, login):
    m = market(1)
    login(m.provider_users[0])
    page = client.get(f"/tenders/{m.tender_id}/bid").get_data(as_text=True)
    assert 'data-preview-url="/bids/preview"' in page and "js/markdown-preview.js" in page
    r = form_post(client, "/bids/preview", {"text": "**40 agents**\n\n<script>alert(1)</script>"},
                  page=f"/tenders/{m.tender_id}/bid")
    assert r.status_code == 200
    assert "<strong>40 agents</strong>" in r.get_data(as_text=True) and "<script" not in r.get_data(as_text=True)
    assert client.post("/bids/preview", data={"text": "x"}).status_code == 400  # no CSRF token: refused


# --- correcting a published tender ------------------------------------------------------------------------

def test_a_published_tender_is_corrected_until_the_first_bid_then_amended(market, client, login):
    m = market(1)
    fixed = "Customer service for 11.11: 40 agents, 09:00-24:00, Taobao and JD shops (corrected)."
    r = m.brand.patch(f"/tenders/{m.tender_id}", json={"description": "short"})
    assert r.status_code == 422 and "description" in r.json["error"]["fields"]
    r = m.brand.patch(f"/tenders/{m.tender_id}", json={"description": fixed})
    assert r.status_code == 200 and m.brand.get(f"/tenders/{m.tender_id}").json["description"] == fixed
    assert m.providers[0].patch(f"/tenders/{m.tender_id}", json={"description": fixed}).status_code == 403
    login(as_user(_email(m.brand)))
    page = f"/tenders/{m.tender_id}"
    assert 'data-testid="correct-link"' in client.get(page).get_data(as_text=True)
    r = form_post(client, f"{page}/correct", {"description": fixed + " Again."}, page=f"{page}/correct")
    assert r.status_code == 302
    assert m.brand.get(page).json["description"] == fixed + " Again."
    m.bid(0)
    r = m.brand.patch(page, json={"description": fixed})
    assert r.status_code == 409 and r.json["error"]["code"] == "tender_has_bids"
    assert 'data-testid="correct-link"' not in client.get(page).get_data(as_text=True)
    assert 'id="addendum-form"' in client.get(page).get_data(as_text=True)  # the way to change it now
    r = form_post(client, f"{page}/correct", {"description": fixed}, page=page)
    assert r.status_code == 422 and m.brand.get(page).json["description"] == fixed + " Again."
