"""Account suspension (issue 14): never silent, never stranding money. Staff suspend a brand or provider
with a reason; its logins and tokens die at once; the owner sees the reason (only with the right
password) and may appeal once, decided by another staff member; money in escrow goes to staff-opened
disputes, earned money is still paid out unless held; tenders and bids are closed; every step audited."""
import pytest
from sqlalchemy import select

from extensions import db
from models import ApiToken, Bid, Dispute, Notification, StaffAction, Suspension, Tender, User, UserLogin
from models.types import utcnow
from services import ledger, ratings_data
from services.runners import mail as mail_runner
from services.runners import payout_batch
from tests.support.factories import bid_payload, tender_payload
from tests.support.ledger import balances
from tests.support.orgs import join, token_for
from tests.support.payout_fixtures import payable_balance
from tests.support.web import PASSWORD, csrf_token, finish_login, form_post, otp_for, signed_in

REASON = "Repeated reports of off-platform payment requests, confirmed by staff."


def suspend(staff, user_id: int, reason: str = REASON, **extra):
    return staff.post(f"/admin/users/{user_id}/suspension", json={"reason": reason, **extra})


def lift(staff, user_id: int, reason: str = "Reviewed: the reports were mistaken."):
    return staff.client.delete(f"/api/v1/admin/users/{user_id}/suspension", json={"reason": reason},
                               headers={"Authorization": f"Bearer {staff.token}"})


def actions(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(StaffAction.action).where(StaffAction.affected_user_id == user_id)
                                       .order_by(StaffAction.id)))


def sign_in(client, email: str, password: str = PASSWORD):
    return finish_login(client, form_post(client, "/login", {"email": email, "password": password}), email)


@pytest.fixture
def staff(api, make_user):
    return api(make_user("admin"))


@pytest.fixture
def smtp_mail(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    return smtp_server


def send_mail(app):
    with app.app_context():
        return mail_runner.send_due()


# --- logins and tokens ------------------------------------------------------------------------------

def test_suspending_ends_every_login_and_token_at_once_and_they_stay_ended_after_lifting(
        app, api, staff, make_user, login):
    brand = make_user("brand")
    browser, token = login(brand), api(brand)
    assert browser.get("/account").status_code == 200 and token.get("/me").status_code == 200

    r = suspend(staff, brand.id)
    assert r.status_code == 201, r.json
    assert r.json["reason"] == REASON and r.json["lifted_at"] is None
    assert browser.get("/account").status_code == 302  # the session is gone: back to the login page
    assert token.get("/me").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(UserLogin).where(UserLogin.user_id == brand.id)) is None
        assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)
                                                                         .where(ApiToken.user_id == brand.id)))

    # Lifting lets the account sign in again, but the cookies and tokens it had stay dead: they were ended,
    # not merely refused while suspended.
    assert lift(staff, brand.id).status_code == 200
    assert browser.get("/account").status_code == 302
    assert token.get("/me").status_code == 401
    assert api(brand).get("/me").status_code == 200
    assert sign_in(app.test_client(), brand.email).status_code == 302
    assert actions(app, brand.id) == ["user.suspend", "user.unsuspend"]


def test_staff_cannot_be_suspended_nor_anyone_twice_and_the_reason_is_required(api, staff, make_user):
    other_staff, provider = make_user("admin"), make_user("provider")
    r = suspend(staff, other_staff.id)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_suspendable"
    short = suspend(staff, provider.id, reason="bad")
    assert short.status_code == 422 and "reason" in short.json["error"]["fields"]
    assert suspend(staff, provider.id, reason="x" * 2001).status_code == 422
    assert suspend(staff, 999_999).status_code == 404
    assert suspend(staff, provider.id).status_code == 201
    again = suspend(staff, provider.id)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_suspended"
    assert lift(staff, make_user("brand").id).json["error"]["code"] == "not_suspended"
    # Not staff: 403
    assert suspend(api(make_user("brand")), provider.id).status_code == 403


# --- signing in while suspended --------------------------------------------------------------------------

def test_the_right_password_shows_the_reason_page_without_a_login_and_a_wrong_one_reveals_nothing(
        app, client, staff, make_user):
    brand, bystander = make_user("brand"), make_user("brand")
    suspend(staff, brand.id)

    english = {"Accept-Language": "en"}
    wrong = form_post(client, "/login", {"email": brand.email, "password": "not the password"}, headers=english)
    unknown = form_post(client, "/login", {"email": bystander.email, "password": "not the password"},
                        headers=english)
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong e-mail or password." in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).replace(brand.email, "").count("error") == \
        unknown.get_data(as_text=True).replace(bystander.email, "").count("error")
    assert REASON not in wrong.get_data(as_text=True) and "suspended" not in wrong.get_data(as_text=True)
    assert client.get("/suspended").status_code == 302  # a wrong password gives no notice either

    right = form_post(client, "/login", {"email": brand.email, "password": PASSWORD})
    assert right.status_code == 302 and right.headers["Location"].endswith("/suspended")
    page = client.get("/suspended")
    assert page.status_code == 200 and REASON in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    # ... and nothing else: no login was made, so every page that needs one sends it to the login page.
    assert client.get("/account").status_code == 302
    assert client.post("/tenders/new", data={}).status_code in (302, 400)
    with app.app_context():
        assert db.session.scalar(select(UserLogin).where(UserLogin.user_id == brand.id)) is None


def test_a_second_factor_comes_before_the_reason(app, client, staff, make_user):
    provider = make_user("provider", totp=True)
    suspend(staff, provider.id)
    step = form_post(client, "/login", {"email": provider.email, "password": PASSWORD})
    assert step.headers["Location"].split("?")[0].endswith("/login/code")
    assert client.get("/suspended").status_code == 302  # not yet: the code is missing
    code = client.post("/login/code", data={"code": otp_for(app, provider.email),
                                            "csrf_token": csrf_token(client, "/login/code")})
    assert code.status_code == 302 and code.headers["Location"].endswith("/suspended")
    assert REASON in client.get("/suspended").get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_api_sign_in_is_refused_with_the_reason_only_for_the_right_password(api, staff, make_user):
    provider = make_user("provider")
    suspend(staff, provider.id)
    wrong = api().post("/auth/tokens", json={"email": provider.email, "password": "not the password"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_credentials"
    right = api().post("/auth/tokens", json={"email": provider.email, "password": PASSWORD})
    assert right.status_code == 403 and right.json["error"]["code"] == "account_suspended"
    assert REASON in right.json["error"]["message"]


# --- the appeal ----------------------------------------------------------------------------------------

def _appeal(client, email: str, text: str):
    sign_in(client, email)
    return form_post(client, "/suspended", {"text": text})


def test_one_appeal_decided_by_another_staff_member_who_can_lift_it(app, client, api, staff, *, make_user, smtp_mail):
    provider, second = make_user("provider"), api(make_user("admin"))
    with app.app_context():
        db.session.get(User, provider.id).locale = "en"  # mails follow the account's language
        db.session.commit()
    suspension_id = suspend(staff, provider.id).json["id"]
    sent = _appeal(client, provider.email, "Those payments were refunds agreed in the chat; see contract 12.")
    assert sent.status_code == 302
    again = form_post(client, "/suspended", {"text": "A second appeal with another story entirely."})
    assert again.status_code == 422  # once only: the form is gone and nothing changes
    with app.app_context():
        assert db.session.get(Suspension, suspension_id).appeal_text.startswith("Those payments")

    queue = second.get("/admin/suspensions").json
    assert [s["id"] for s in queue["items"]] == [suspension_id]

    path = f"/admin/suspensions/{suspension_id}/appeal-decision"
    own = staff.post(path, json={"decision": "lift", "reason": "I changed my mind about this."})
    assert own.status_code == 403 and own.json["error"]["code"] == "same_staff"
    assert "另一位工作人员" in own.json["error"]["message"]  # "another staff member", in the default language
    lifted = second.post(path, json={"decision": "lift", "reason": "The refunds are documented in the chat."})
    assert lifted.status_code == 200 and lifted.json["appeal_decision"] == "lifted"
    assert lifted.json["lifted_at"] is not None
    assert second.post(path, json={"decision": "uphold", "reason": "Twice decided is not allowed."}).status_code == 409
    assert second.get("/admin/suspensions").json["items"] == []

    assert api(provider).get("/me").status_code == 200  # lifting restores sign-in, API and web
    assert sign_in(app.test_client(), provider.email).status_code == 302
    assert actions(app, provider.id) == ["user.suspend", "user.appeal_lift"]

    send_mail(app)
    subjects = [m["Subject"] for m in smtp_mail.wait_for(2)]
    assert subjects == ["Your Witkey account is suspended", "Your Witkey account works again"]
    restored = smtp_mail.messages[1].get_body(preferencelist=("plain",)).get_content()
    assert "The refunds are documented in the chat." in restored


def test_an_upheld_appeal_is_mailed_in_the_users_language_and_the_account_stays_suspended(
        app, client, api, staff, *, make_user, smtp_mail):
    brand = make_user("brand")
    with app.app_context():
        db.session.get(User, brand.id).locale = "zh_CN"
        db.session.commit()
    suspension_id = suspend(staff, brand.id).json["id"]
    _appeal(client, brand.email, "I never asked anyone to pay outside the platform.")
    r = api(make_user("admin")).post(f"/admin/suspensions/{suspension_id}/appeal-decision",
                                     json={"decision": "uphold", "reason": "Three providers sent screenshots."})
    assert r.status_code == 200 and r.json["appeal_decision"] == "upheld" and r.json["lifted_at"] is None
    assert api().post("/auth/tokens", json={"email": brand.email, "password": PASSWORD}).status_code == 403
    page = client.get("/suspended").get_data(as_text=True)
    assert "Three providers sent screenshots." in page and 'name="text"' not in page  # no second appeal
    assert actions(app, brand.id) == ["user.suspend", "user.appeal_uphold"]

    send_mail(app)
    suspended, upheld = smtp_mail.wait_for(2)
    assert suspended["Subject"] == "您的 Witkey 账户已被暂停" and upheld["Subject"] == "您的申诉已裁定：维持暂停"
    text = suspended.get_body(preferencelist=("plain",)).get_content()
    assert REASON in text and "/login" in text
    assert "Three providers sent screenshots." in upheld.get_body(preferencelist=("html",)).get_content()


# --- money -----------------------------------------------------------------------------------------------

def test_funded_milestones_go_to_staff_disputes_that_settle_under_the_dispute_rules(app, deal):
    d = deal(amounts=(100000, 60000, 40000, 30000))
    d.deposit(200000)
    d.fund(0)
    d.fund(1), d.deliver(1)
    d.fund(2)
    party = d.brand.post(f"/milestones/{d.milestone_ids[2]}/disputes", json={"reason": "late", "statement": "Late."})
    assert party.status_code == 201, party.json
    provider_id = d.provider.get("/me").json["id"]
    wallet_before = balances(d.brand)["brand_wallet"]

    assert suspend(d.staff, provider_id).status_code == 201
    with app.app_context():
        disputes = {x.milestone_id: x for x in db.session.scalars(select(Dispute))}
        staff_opened = sorted(m for m, x in disputes.items() if x.reason == "account_suspended")
        assert staff_opened == [d.milestone_ids[0], d.milestone_ids[1]]
        assert disputes[d.milestone_ids[2]].reason == "late"  # stays in its own dispute
        assert d.milestone_ids[3] not in disputes  # nothing in escrow: nothing to settle
        told = {(n.user_id, n.params["milestone"]) for n in db.session.scalars(
            select(Notification).where(Notification.kind == "dispute_opened"))}
        assert {(d.brand_id, "Milestone 1"), (provider_id, "Milestone 1"), (provider_id, "Milestone 2")} <= told
        first = disputes[d.milestone_ids[0]].id
    assert [m["status"] for m in (d.milestone(i) for i in range(4))] == ["disputed"] * 3 + ["pending"]
    assert d.provider.get(f"/disputes/{first}").status_code == 401  # the suspended side cannot act
    evidence = d.brand.post(f"/disputes/{first}/evidence", json={"note": "Work had not started yet."})
    assert evidence.status_code == 201, evidence.json  # the other side can

    refused = d.brand.post(f"/milestones/{d.milestone_ids[3]}/fund")  # no new money towards a suspended provider
    assert refused.status_code == 409 and refused.json["error"]["code"] == "provider_suspended"

    r = d.staff.post(f"/disputes/{first}/resolve", json={"provider_amount": 40000, "reason": "Some work done."})
    assert r.status_code == 200, r.json
    commission = ledger.commission_of(40000, app.config["COMMISSION_BPS"])
    assert balances(d.brand)["brand_wallet"] == wallet_before + 60000
    with app.app_context():
        assert payable_balance(provider_id) == 40000 - commission
        assert ledger.summary()[1] == {"CNY": 0} and ledger.unbalanced_postings() == []


def run_batch(app) -> dict:
    with app.app_context():
        return payout_batch.run_batch(payout_batch.start_batch(None).id)


def test_earned_money_is_paid_out_unless_staff_hold_it_and_releasing_pays_it(app, staff, earnings):
    paid, held = earnings(2, amount=300_00)
    assert suspend(staff, paid).status_code == 201
    r = suspend(staff, held, hold_payouts=True, hold_reason="Investigating possible fraud on these payouts.")
    assert r.status_code == 201 and r.json["payouts_held"] is True
    assert run_batch(app)["payouts"] == 1
    with app.app_context():
        assert payable_balance(paid) == 0 and payable_balance(held) == 300_00

    release = staff.client.delete(f"/api/v1/admin/users/{held}/suspension/payout-hold",
                                  json={"reason": "Investigation closed: nothing found."},
                                  headers={"Authorization": f"Bearer {staff.token}"})
    assert release.status_code == 200 and release.json["payouts_held"] is False
    assert run_batch(app)["payouts"] == 1
    with app.app_context():
        assert payable_balance(held) == 0
    assert actions(app, held) == ["user.suspend", "user.payout_hold", "user.payout_release"]


def test_lifting_the_suspension_releases_a_hold_and_a_brand_has_nothing_to_hold(app, staff, earnings, make_user):
    (provider,) = earnings(1, amount=300_00)
    suspend(staff, provider)
    hold = staff.post(f"/admin/users/{provider}/suspension/payout-hold", json={"reason": "Hold while we look."})
    assert hold.status_code == 200 and hold.json["payouts_held"] is True
    assert run_batch(app)["payouts"] == 0
    assert lift(staff, provider).status_code == 200
    assert run_batch(app)["payouts"] == 1
    assert actions(app, provider) == ["user.suspend", "user.payout_hold", "user.payout_release", "user.unsuspend"]
    brand = make_user("brand")
    r = suspend(staff, brand.id, hold_payouts=True)
    assert r.status_code == 422 and "hold_payouts" in r.json["error"]["fields"]


# --- the market -----------------------------------------------------------------------------------------

def test_a_suspended_brands_open_tenders_close_and_a_suspended_providers_bids_are_withdrawn_and_it_is_unlisted(
        app, api, staff, market, make_user):
    m = market(2)
    m.bid(0), m.bid(1)
    brand_id = m.brand.get("/me").json["id"]
    other_brand = api(make_user("brand"))
    other_tender = other_brand.post("/tenders", json=tender_payload(title="Detail pages")).json["id"]
    bid = m.providers[0].post(f"/tenders/{other_tender}/bids", json=bid_payload(300000_00))
    assert bid.status_code == 201

    listed = {p["id"] for p in api().get("/providers").json["items"]}
    assert m.provider_users[0].id in listed
    assert suspend(staff, m.provider_users[0].id).status_code == 201
    listed = {p["id"] for p in api().get("/providers").json["items"]}
    assert m.provider_users[0].id not in listed and m.provider_users[1].id in listed  # out of the directory
    with app.app_context():
        statuses = {b.tender_id: b.status for b in db.session.scalars(
            select(Bid).where(Bid.provider_id == m.provider_users[0].id))}
        assert statuses == {m.tender_id: "withdrawn", other_tender: "withdrawn"}
        assert db.session.scalar(select(Notification).where(Notification.user_id == brand_id,
                                                            Notification.kind == "bid_withdrawn")) is not None

    assert suspend(staff, brand_id).status_code == 201
    with app.app_context():
        tender = db.session.get(Tender, m.tender_id)
        assert tender.status == "cancelled" and tender.cancel_reason
        bidder = m.provider_users[1].id
        assert db.session.scalar(select(Notification).where(Notification.user_id == bidder,
                                                            Notification.kind == "tender_cancelled")) is not None
        assert db.session.get(Tender, other_tender).status == "open"  # another brand's tender is untouched
    listed = [t["id"] for t in api().get("/tenders").json["items"]]
    assert m.tender_id not in listed and other_tender in listed
    assert "tenders_cancelled" in db_after(app, brand_id)


def db_after(app, user_id: int) -> dict:
    with app.app_context():
        entry = db.session.scalar(select(StaffAction).where(StaffAction.affected_user_id == user_id,
                                                            StaffAction.action == "user.suspend"))
        return entry.after


# --- staff pages -------------------------------------------------------------------------------------------

def test_staff_pages_find_suspend_and_queue_appeals(app, client, make_user, login):
    staff_user, provider = make_user("admin"), make_user("provider", display_name="Lens Studio")
    browser = login(staff_user)
    found = browser.get("/admin/accounts?q=lens")
    assert found.status_code == 200 and "Lens Studio" in found.get_data(as_text=True)
    assert f"/admin/accounts/{provider.id}" in browser.get(f"/admin/providers/{provider.id}").get_data(as_text=True)
    page = f"/admin/accounts/{provider.id}"
    short = form_post(browser, f"{page}/suspend", {"reason": "too short"}, page=page)
    assert short.status_code == 422
    done = form_post(browser, f"{page}/suspend", {"reason": REASON, "hold_payouts": "y"}, page=page)
    assert done.status_code == 302
    shown = browser.get(page).get_data(as_text=True)
    assert REASON in shown and f"{page}/payouts/release" in shown

    appellant = app.test_client()
    assert _appeal(appellant, provider.email, "Please look again at the chat history.").status_code == 302
    queue = browser.get("/admin/suspensions").get_data(as_text=True)
    assert "Lens Studio" in queue and "Please look again" in queue
    with app.app_context():
        suspension_id = db.session.scalar(select(Suspension.id))
    # The suspender is offered no decision form, and is refused if it posts one anyway.
    assert f"/admin/suspensions/{suspension_id}/decide" not in browser.get(page).get_data(as_text=True)
    refused = form_post(browser, f"/admin/suspensions/{suspension_id}/decide",
                        {"decision": "lift", "reason": "Lifting my own suspension."}, page=page)
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(Suspension, suspension_id).appeal_decided_at is None


def test_staff_pages_are_for_staff_and_an_unknown_account_is_404(make_user, login, app):
    brand = make_user("brand")
    browser = login(brand)
    assert browser.get("/admin/accounts").status_code == 403
    assert browser.get("/admin/suspensions").status_code == 403
    staff_browser = signed_in(app, make_user("admin").id)
    assert staff_browser.get("/admin/accounts/999999").status_code == 404
    assert staff_browser.get(f"/admin/accounts/{brand.id}").status_code == 200
    assert staff_browser.get("/admin/suspensions").status_code == 200


def test_a_settlement_staff_opened_is_not_a_lost_dispute_in_the_providers_rating(app, deal):
    """The brand was suspended and staff refunded its escrow: the provider lost nothing by its own doing,
    while a dispute the brand itself won still counts."""
    d = deal(amounts=(50000, 50000, 50000))
    d.deposit(100000)
    d.fund(0), d.fund(1)
    provider_id = d.provider.get("/me").json["id"]
    party = d.brand.post(f"/milestones/{d.milestone_ids[1]}/disputes", json={"reason": "quality"}).json["id"]
    d.staff.post(f"/disputes/{party}/resolve", json={"provider_amount": 0, "reason": "Nothing was delivered."})
    assert suspend(d.staff, d.brand_id).status_code == 201
    with app.app_context():
        settlement = db.session.scalar(select(Dispute.id).where(Dispute.reason == "account_suspended"))
    r = d.staff.post(f"/disputes/{settlement}/resolve", json={"provider_amount": 0, "reason": "Work not started."})
    assert r.status_code == 200
    with app.app_context():
        assert ratings_data.gather(utcnow(), [provider_id])[provider_id].disputes_lost == 1


# --- organisations -----------------------------------------------------------------------------------

def test_suspending_a_company_keeps_every_member_out_and_one_member_only_that_person(app, client, api, staff,
                                                                                      deal):
    """The principal is the company: its suspension ends every member's logins and tokens and keeps them
    all out, and a member sees the company's reason but only the owner appeals. Suspending one member
    keeps that person out and moves none of the company's money."""
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    brand_id = d.brand.get("/me").json["id"]
    finance_id, finance = join(app, client, d.brand, "brand", "finance")
    viewer_id, viewer = join(app, client, d.brand, "brand", "viewer")

    r = suspend(staff, finance_id)  # one person: the company goes on
    assert r.status_code == 201
    assert finance.get("/org").status_code == 401 and d.brand.get("/org").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Dispute)).all() == []  # the company's escrow is untouched
    assert lift(staff, finance_id).status_code == 200

    assert suspend(staff, brand_id).status_code == 201  # the company
    assert viewer.get("/org").status_code == 401 and d.brand.get("/org").status_code == 401
    with app.app_context():
        assert [x.reason for x in db.session.scalars(select(Dispute))] == ["account_suspended"]
    viewer_email = _email(app, viewer_id)
    r = client.post("/api/v1/auth/tokens", json={"email": viewer_email, "password": PASSWORD})
    assert r.status_code == 403 and r.json["error"]["code"] == "account_suspended"

    web = app.test_client()  # the member is shown the company's reason, but the owner appeals
    assert form_post(web, "/login", {"email": viewer_email, "password": PASSWORD}).status_code == 302
    page = web.get("/suspended")
    assert page.status_code == 200 and REASON in page.get_data(as_text=True)
    appeal = form_post(web, "/suspended", {"text": "We stopped those payment requests; please review."},
                       headers={"Accept-Language": "en"})
    assert appeal.status_code == 422 and "owner can appeal" in appeal.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Suspension).where(Suspension.user_id == brand_id)).appealed_at is None

    assert lift(staff, brand_id).status_code == 200
    assert token_for(client, viewer_email).get("/org").status_code == 200


def _email(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_staff_read_the_suspension_in_force(api, staff, make_user):
    provider = make_user("provider")
    assert staff.get(f"/admin/users/{provider.id}/suspension").status_code == 404  # none in force
    suspension_id = suspend(staff, provider.id).json["id"]
    r = staff.get(f"/admin/users/{provider.id}/suspension")
    assert r.status_code == 200
    assert (r.json["id"], r.json["reason"], r.json["lifted_at"]) == (suspension_id, REASON, None)
    assert api(make_user("brand")).get(f"/admin/users/{provider.id}/suspension").status_code == 403
    assert lift(staff, provider.id).status_code == 200
    assert staff.get(f"/admin/users/{provider.id}/suspension").status_code == 404
