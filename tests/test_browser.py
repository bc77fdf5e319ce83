"""In Chromium: a brand registers, logs in, posts a tender through the form and finds it in the list;
a provider finds it by search."""
import os
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import expect

from extensions import db
from models import PayoutBatch
from services.runners import mail as mail_runner
from services.runners import payout_batch
from tests.support.factories import tender_payload
from tests.support.stripe_fixtures import card_attempt, pay_like_stripe_js, wait_for
from tests.support.web import PASSWORD, otp_for

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("WITKEY_SCREENSHOTS")  # set to a folder to keep screenshots of each step


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def register(page, role, name, email):
    page.goto("/register")
    page.check(f"input[name=role][value={role}]")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", "long enough pw")
    page.fill("#confirm", "long enough pw")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/login")  # the same answer whether or not the address is taken: then log in
    page.fill("#email", email)
    page.fill("#password", "long enough pw")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")


def test_brand_posts_tender_and_provider_finds_it(new_page):
    brand = new_page()
    register(brand, "brand", "Hanfeng Apparel", "hanfeng@example.com")
    brand.click("text=Log out")
    brand.goto("/login")
    brand.fill("#email", "hanfeng@example.com")
    brand.fill("#password", "long enough pw")
    brand.click("main form button[type=submit]")
    brand.wait_for_url("**/")

    brand.click("nav >> text=Post a tender")
    brand.fill("#title", "Customer-service outsourcing for a national apparel brand")
    brand.select_option("#category", "customer_service")
    brand.fill("#description", "Pre-sale and after-sale chat, 09:00 to 24:00, about 6,000 conversations a day.")
    brand.fill("#budget_min", "300000")
    brand.fill("#budget_max", "600000")
    deadline = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=14)
    brand.fill("#bid_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    brand.check("input[name=rounds][value=pitch]")
    brand.check("input[name=rounds][value=site_visit]")
    brand.fill("#kpis-0-name", "first-response time")
    brand.fill("#kpis-0-target", "30")
    brand.fill("#kpis-0-unit", "s")
    shot(brand, "1-tender-form")
    brand.click("main form button[type=submit]")
    brand.wait_for_url("**/tenders/*")
    assert brand.get_by_test_id("tender-status").inner_text() == "Open for bids"
    assert "¥300,000.00" in brand.content()
    shot(brand, "2-tender-page")

    brand.goto("/tenders")
    assert brand.get_by_role("link", name="Customer-service outsourcing for a national apparel brand").is_visible()

    provider = new_page(locale="zh-CN")
    register(provider, "provider", "云客客服外包", "yunke@example.com")
    provider.goto("/tenders")
    provider.fill("#q", "apparel")
    provider.click("form[role=search] button")
    provider.wait_for_url("**/tenders?*q=apparel*")
    results = provider.locator("article.tender .card-title a")
    assert results.count() == 1
    assert results.first.inner_text() == "Customer-service outsourcing for a national apparel brand"
    assert "¥300,000.00" in provider.content()  # zh-CN formatting
    shot(provider, "3-provider-search")
    provider.fill("#q", "photography")
    provider.click("form[role=search] button")
    provider.wait_for_url("**/tenders?*q=photography*")
    assert provider.locator("article.tender").count() == 0


def login_as(page, email, otp=None, then="**/"):
    """Log in with the password, and with `otp` on the code step (staff, and users who enrolled); `then`:
    the page expected next (a suspended account's reason page, say)."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    if otp is not None:
        page.wait_for_url("**/login/code")
        page.fill("#code", otp)
        page.click("main form button[type=submit]")
    page.wait_for_url(then)


def test_provider_bids_and_brand_awards_in_the_browser(new_page, api, make_user):

    brand_user = make_user("brand", email="brand-ui@example.com")
    make_user("provider", email="studio-ui@example.com", display_name="Guangying Studio")
    tender_id = api(brand_user).post("/tenders", json=tender_payload(
        title="Spring tea launch photography", category="photography", rounds=["proposal"])).json["id"]

    provider = new_page()
    login_as(provider, "studio-ui@example.com")
    provider.goto(f"/tenders/{tender_id}")
    provider.get_by_test_id("bid-button").click()
    provider.fill("#amount", "450000")
    provider.fill("#delivery_days", "60")
    provider.fill("#proposal", "Two studio days, **40 retouched images**, delivered in three batches.")
    for i, (title, amount, due) in enumerate([("Shoot", "150000", "20"), ("Retouch", "150000", "40"),
                                              ("Final set", "150000", "60")]):
        provider.fill(f"#milestones-{i}-title", title)
        provider.fill(f"#milestones-{i}-amount", amount)
        provider.fill(f"#milestones-{i}-due_days", due)
    provider.click("main form button[type=submit]")
    provider.wait_for_url("**/bids/*")
    assert provider.get_by_test_id("bid-amount").inner_text() == "¥450,000.00"
    assert provider.locator(".markdown strong").inner_text() == "40 retouched images"
    shot(provider, "4-bid-page")

    brand = new_page()
    login_as(brand, "brand-ui@example.com")
    brand.goto(f"/tenders/{tender_id}")
    brand.click("text=Close bidding now")  # confirm() is accepted by the harness
    brand.wait_for_selector("[data-testid=tender-status]:has-text('Evaluating')")
    brand.get_by_test_id("evaluation-board").click()
    brand.click("summary")
    shot(brand, "5-evaluation-board")
    brand.locator("button.award").click()
    brand.wait_for_url("**/contracts/*")
    assert brand.locator("[data-testid=milestones] tbody tr").count() == 3
    shot(brand, "6-contract")

    provider.goto("/notifications")
    assert provider.locator("text=You won “Spring tea launch photography”").count() == 1


def test_staff_start_a_settlement_batch_and_watch_its_progress(new_page, make_user, earnings, app):
    """The admin button asks for confirmation, the batch page polls the job's progress, and reloads
    when the worker has closed the batch."""
    earnings(3, amount=2000_00)
    staff = make_user("admin")
    page = new_page()
    login_as(page, staff.email, otp_for(app, staff.email))
    page.goto("/payouts/batches")
    page.get_by_test_id("run-batch").click()  # the confirm dialog is accepted
    page.wait_for_url("**/payouts/batches/*")
    assert page.get_by_test_id("batch-progress").is_visible()
    with app.app_context():
        payout_batch.run_batch(db.session.scalar(db.select(PayoutBatch.id)))  # the worker's part
    page.wait_for_selector("[data-testid=batch-progress]", state="detached")  # the page reloaded: closed
    assert page.get_by_test_id("bank-file").is_visible()
    assert "¥6,000.00" in page.content()


def staff_on_a_dispute(new_page, deal, make_user, app):
    """A ¥1,000.00 milestone funded, delivered and disputed, and a staff member's page open on the dispute."""
    d = deal(amounts=(100000, 20000, 30000))
    d.deposit(150000)
    d.fund(0)
    d.deliver(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).json["id"]
    page = new_page()
    staff_email = make_user("admin").email
    login_as(page, staff_email, otp_for(app, staff_email))
    page.goto(f"/disputes/{dispute}")
    return d, page


def test_staff_see_both_amounts_before_a_decision_moves_money(new_page, deal, make_user, app):
    """The decision's confirmation says what goes to the provider and what goes back to the brand,
    computed from the amount typed, before the money moves."""
    d, page = staff_on_a_dispute(new_page, deal, make_user, app)
    page.fill("#provider_amount", "400.10")
    page.fill("#reason", "Part of the work is usable.")
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))  # (new_page's own handler accepts it)
    page.get_by_test_id("decide-form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=decision]")
    assert "¥400.10" in asked[0] and "¥599.90" in asked[0]
    assert d.milestone(0)["status"] == "resolved"


def test_confirmations_and_the_language_switch_work_under_the_csp(new_page, deal):
    """The confirmation before a form that moves money and the language switch run from static files under a
    Content-Security-Policy without 'unsafe-inline' (new_page fails the test on anything the policy blocks);
    a confirmation answered "Cancel" sends nothing."""
    d = deal(amounts=(100000, 20000, 30000))
    d.deposit(150000)
    page = new_page(accept_dialogs=False)
    page.goto("/tenders?q=tea")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_test_id("language").locator("button[lang=zh-CN]").click()
    page.wait_for_selector("html[lang^=zh]", state="attached")  # (wait_for_function's eval: no CSP)
    assert page.url.endswith("/tenders?q=tea") and "招标" in page.locator("h1").inner_text()
    page.get_by_test_id("language").locator("button[lang=en]").click()
    page.wait_for_selector("html[lang=en]", state="attached")

    login_as(page, d.brand.get("/me").json["email"])
    policy = page.goto(f"/contracts/{d.contract_id}").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    asked, posted = [], []
    page.on("dialog", lambda dialog: (asked.append(dialog.message),
                                      dialog.dismiss() if len(asked) == 1 else dialog.accept()))
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    fund = page.get_by_test_id(f"fund-{d.milestone_ids[0]}")
    fund.click()
    page.wait_for_timeout(500)
    assert asked == ["Move ¥1,000.00 into escrow for this milestone? It is released to the provider only when you "
                     "accept the work."]
    assert posted == [] and d.milestone(0)["status"] == "pending"  # "Cancel": nothing sent
    fund.click()
    page.wait_for_selector(".flash-success")
    assert len(asked) == 2 and d.milestone(0)["status"] == "funded"


def test_card_payment_page_works_under_the_csp(new_page, deal, stripe_app, localstripe, app):
    """The pay page loads Stripe.js from STRIPE_JS_URL (here the Stripe test server), whose origin the CSP allows
    for scripts and connections, and nothing else; static/js/pay.js mounts the card field and confirms the
    payment; Stripe's webhook funds the milestone."""
    d = deal()
    brand, mid, intent_id = card_attempt(d, stripe_app, app)
    pay_like_stripe_js(localstripe, intent_id, number="4000002760003184")  # a card that asks for 3-D Secure
    page = new_page()
    page.goto(stripe_app.live_url + "/login")
    page.fill("#email", d.brand.get("/me").json["email"])
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(stripe_app.live_url + "/")
    policy = page.goto(stripe_app.live_url + f"/contracts/milestones/{mid}/pay").headers["content-security-policy"]
    assert f"script-src 'self' {localstripe};" in policy and f"connect-src 'self' {localstripe}" in policy
    expect(page.locator("#card-element input")).to_have_count(5)  # the test server's card field, mounted by pay.js
    page.click("#pay")
    page.click("text=Complete authentication")  # the test server's 3-D Secure prompt, from confirmCardPayment
    page.wait_for_url(f"**/contracts/{d.contract_id}#milestone-{mid}")
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")


def _verification_path(app, email: str) -> str:
    """Send what is due (without MAIL_URL: one .eml file per message) and read the link in the mail to
    `email`, as its owner would."""
    with app.app_context():
        mail_runner.send_due()
    folder = Path(app.config.get("MAIL_DIR") or Path(app.config["INSTANCE_PATH"]) / "mail")
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == email:
            text = message.get_body(preferencelist=("plain",)).get_content()
            link = next(word for word in text.split() if "/verify-email/" in word)
            return urlsplit(link).path
    raise AssertionError(f"no mail to {email} in {folder}")


def test_register_verify_sign_in_enrol_two_factor_and_sign_out_everywhere(new_page, app, browser, live_server):
    email, password = "moshan-2fa@example.com", "long enough pw"
    page = new_page()
    register(page, "brand", "Moshan Tea", email)
    page.goto(_verification_path(app, email))
    page.goto("/account")
    assert page.get_by_test_id("email-verified").is_visible()
    page.click("text=Log out")

    def sign_in(p, code=None):
        p.goto("/login")
        p.fill("#email", email)
        p.fill("#password", password)
        p.click("main form button[type=submit]")
        if code is not None:
            p.wait_for_url("**/login/code")
            p.fill("#code", code)
            p.click("main form button[type=submit]")
        p.wait_for_url("**/")

    sign_in(page)
    page.goto("/account")
    page.click("text=Manage two-factor sign-in")
    page.click("text=Set up two-factor sign-in")
    secret = page.get_by_test_id("totp-secret").inner_text()
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")  # the QR code loaded, CSP allowing it
    shot(page, "2fa-1-enrol")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#enrol form button[type=submit]")
    expect(page.get_by_test_id("recovery-codes").locator("code")).to_have_count(10)  # waits for the answer
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert page.get_by_test_id("totp-on").is_visible()
    shot(page, "2fa-2-recovery-codes")

    # A second browser signs in with the password and a recovery code (the TOTP code of this 30 s was used).
    other = new_page()
    sign_in(other, codes[0])
    other.goto("/account")
    assert other.url.endswith("/account")
    old_cookies = page.context.cookies()  # this browser's session, to try again after signing out

    page.goto("/account")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url("**/login")
    other.goto("/account")
    assert "/login" in other.url  # the other browser was signed out too
    replayed = browser.new_context(base_url=live_server.url)
    try:
        replayed.add_cookies(old_cookies)
        stale = replayed.new_page()
        stale.goto("/account")
        assert "/login" in stale.url  # a copy of the old session cookie no longer works
    finally:
        replayed.close()
    # the password alone is no longer enough
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/login/code")


def test_two_staff_members_correct_a_decision_on_a_phone(new_page, deal, make_user, app):
    """Four eyes in Chromium at 390 px: one staff member proposes a correction above the threshold (the
    confirmation is asked under the CSP), a second finds it in the queue and approves it; neither page
    scrolls sideways."""
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).json["id"]
    d.staff.post(f"/disputes/{dispute}/resolve", json={"provider_amount": 150000_00, "reason": "All usable."})
    proposer, approver = new_page(), new_page()
    for page in (proposer, approver):
        page.set_viewport_size({"width": 390, "height": 844})
        email = make_user("admin").email
        login_as(page, email, otp_for(app, email))
    proposer.goto(f"/disputes/{dispute}")
    proposer.fill("#amount", "100000.00")
    proposer.select_option("#direction", "to_brand")
    proposer.fill("#reason", "Most images were unusable.")
    proposer.locator(f"form[action$='/disputes/{dispute}/adjust'] button[type=submit]").click()
    proposer.wait_for_selector("[data-testid=own-proposal]")
    assert proposer.locator("[data-testid=approve-correction]").count() == 0
    shot(proposer, "correction-proposed-390")
    approver.goto("/disputes/corrections")
    approver.locator("[data-testid^=pending-correction-] a").first.click()
    approver.get_by_test_id("approve-correction").click()
    approver.wait_for_selector("text=Correction approved and posted.")
    assert "approved by" in approver.get_by_test_id("correction-people").inner_text()
    shot(approver, "correction-approved-390")
    for page in (proposer, approver):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert {b["account"].split(":")[0]: b["amount"] for b in d.brand.get("/me").json["balances"]} == {
        "brand_wallet": 100000_00}
