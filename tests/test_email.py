"""E-mail as a real part: registration mails a verification link through SMTP (a real aiosmtpd server
in this process) or into instance/mail/ as .eml files, in the recipient's language, with text and HTML
parts; verification gates bidding, awarding, funding and being paid; sending retries with backoff."""
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from extensions import db
from models import OutgoingMail, User
from models.types import utcnow
from services import accounts, mail, payout_accounts, payouts
from services.errors import Forbidden
from services.runners import mail as mail_runner
from services.tasks import queue
from tests.support.factories import bid_payload, tender_payload
from tests.support.payout_fixtures import seed_earnings
from tests.support.web import form_post
from tests.support.worker_processes import run_worker_burst
from workers.schedule import PERIODIC

REGISTER = {"email": "Shop@Example.com", "password": "long enough pw", "role": "provider",
            "display_name": "Guangying Studio"}


def _parts(message):
    """The text and HTML bodies of a received message (both must be there)."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, message
    return text.get_content(), html.get_content()


def _link(text: str, marker: str) -> str:
    return next(word for word in text.split() if marker in word)


def _send_all(app) -> dict:
    with app.app_context():
        return mail_runner.send_due()


@pytest.fixture
def smtp_mail(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    return smtp_server


# --- sending ------------------------------------------------------------------------------------------

@pytest.mark.worker
def test_registration_queues_the_send_after_commit_and_a_worker_process_delivers_it_by_smtp(
        app, api, smtp_server):
    """The whole path: the API registration commits the message and queues `send_mail`; a real RQ
    worker process sends it through SMTP (with AUTH) to a real server, where it arrives once."""
    r = api().post("/auth/register", json=REGISTER, headers={"Accept-Language": "en"})
    assert r.status_code == 201
    with app.app_context():
        queued = [job.func_name for job in queue("mail").get_jobs()]
    assert queued == ["workers.jobs.send_mail"]
    run_worker_burst(MAIL_URL=smtp_server.url)
    (message,) = smtp_server.wait_for(1)
    assert smtp_server.inbox.envelopes[0][1] == ["shop@example.com"]
    assert smtp_server.inbox.logins == [True] and smtp_server.inbox.users == ["witkey"]  # MAIL_URL's user
    with app.app_context():
        row = db.session.scalar(select(OutgoingMail))
        assert row.sent_at is not None and row.attempts == 1
        assert message["Message-ID"] == row.message_id
    assert message["Subject"] == "Confirm your e-mail address for Witkey"
    assert message["From"] == app.config["MAIL_FROM"]
    text, html = _parts(message)
    assert "Hello Guangying Studio," in text and "Hello Guangying Studio," in html
    link = _link(text, "/verify-email/")
    assert link in html


def test_the_link_in_the_mail_verifies_the_address(app, api, client, smtp_mail):
    r = api().post("/auth/register", json=REGISTER, headers={"Accept-Language": "en"})
    user_id = r.json["id"]
    assert _send_all(app)["sent"] == 1
    text, _html = _parts(smtp_mail.wait_for(1)[0])
    link = _link(text, "/verify-email/")
    assert link.startswith(app.config["PUBLIC_URL"] + "/verify-email/")  # never the request's Host
    page = client.get(urlsplit(link).path)
    assert page.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).email_verified_at is not None


def test_mail_is_written_in_the_recipients_language(app, api, smtp_mail):
    """Registered from a Chinese browser: the mail is Chinese; an English account setting wins later."""
    api().post("/auth/register", json={**REGISTER, "email": "zh@example.com"}, headers={"Accept-Language": "zh-CN"})
    _send_all(app)
    (message,) = smtp_mail.wait_for(1)
    text, html = _parts(message)
    assert message["Subject"] == "确认您在 Witkey 的电子邮件地址"
    assert message["Content-Language"] == "zh-CN"
    assert "您好，Guangying Studio：" in text and "确认我的电子邮件地址" in html
    with app.app_context():
        user = User.by_email("zh@example.com")
        user.locale = "en"
        accounts.send_verification(user)  # a resend: the account's own language now
        db.session.commit()
    _send_all(app)
    assert smtp_mail.wait_for(2)[1]["Subject"] == "Confirm your e-mail address for Witkey"


def test_without_mail_url_each_message_is_an_eml_file_under_instance_mail(app, api):
    assert not app.config["MAIL_URL"]
    folder = Path(app.config["INSTANCE_PATH"]) / "mail"
    shutil.rmtree(folder, ignore_errors=True)  # what worker tests before this one sent
    api().post("/auth/register", json=REGISTER, headers={"Accept-Language": "en"})
    assert _send_all(app)["sent"] == 1
    files = list(folder.glob("*.eml"))
    assert len(files) == 1
    message = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert message["To"] == "shop@example.com"
    text, _html = _parts(message)
    assert "/verify-email/" in text
    for path in files:
        path.unlink()


def test_a_failed_send_is_retried_after_its_backoff_and_arrives_once(app, api, smtp_mail):
    smtp_mail.inbox.fail_next = 1  # the server answers 451 once
    api().post("/auth/register", json=REGISTER)
    assert _send_all(app) == {"sent": 0, "failed": 1, "skipped": 0}
    with app.app_context():
        row = db.session.scalar(select(OutgoingMail))
        assert row.sent_at is None and "451" in row.last_error
        assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert _send_all(app) == {"sent": 0, "failed": 0, "skipped": 0}  # not due yet
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert _send_all(app)["sent"] == 1
        assert _send_all(app)["sent"] == 0  # sent is sent
    assert len(smtp_mail.messages) == 1


def test_a_sender_killed_between_sending_and_marking_is_retried_after_the_lease_with_the_same_id(app, api,
                                                                                                 smtp_mail):
    api().post("/auth/register", json=REGISTER)
    with app.app_context():
        mail_id = db.session.scalar(select(OutgoingMail.id))
        row = mail.claim(mail_id)
        db.session.commit()
        mail.transmit(row)  # …and the worker dies before marking it sent
        db.session.rollback()
        assert mail.claim(mail_id) is None  # a second sender keeps off while the lease runs
        db.session.rollback()
    assert _send_all(app)["sent"] == 0
    with time_machine.travel(utcnow() + mail.LEASE + timedelta(seconds=1)):
        assert _send_all(app)["sent"] == 1
    first, second = smtp_mail.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"]  # a duplicate a reader's client can fold


def test_a_recipient_refused_for_good_is_given_up(app, api, smtp_mail):
    smtp_mail.inbox.refuse.add("shop@example.com")
    api().post("/auth/register", json=REGISTER)
    assert _send_all(app)["failed"] == 1
    with app.app_context():
        row = db.session.scalar(select(OutgoingMail))
        assert row.next_attempt_at is None and "550" in row.last_error
    with time_machine.travel(utcnow() + timedelta(days=2)):
        assert _send_all(app) == {"sent": 0, "failed": 0, "skipped": 0}


def test_the_mail_sweep_is_scheduled(app):
    assert "send-due-mail" in {name for name, *_rest in PERIODIC}


# --- verification -------------------------------------------------------------------------------------

def _token_of_last_mail(app) -> str:
    with app.app_context():
        row = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id.desc())).first()
    return _link(row.text_body, "/verify-email/").rsplit("/", 1)[1]


def test_api_verify_email_answers_the_contract(app, api):
    r = api().post("/auth/register", json=REGISTER)
    token = _token_of_last_mail(app)
    assert api().post("/auth/verify-email", json={"token": token + "x"}).status_code == 422
    r = api().post("/auth/verify-email", json={"token": token})
    assert r.status_code == 200 and r.json == {"email_verified": True}
    bad = api().post("/auth/verify-email", json={"token": "nonsense"})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_token"


def test_a_verification_link_expires_and_dies_with_a_changed_address(app, api):
    api().post("/auth/register", json=REGISTER)
    token = _token_of_last_mail(app)
    with time_machine.travel(utcnow() + timedelta(hours=49)):
        assert api().post("/auth/verify-email", json={"token": token}).status_code == 422
    with app.app_context():
        User.by_email("shop@example.com").email = "other@example.com"
        db.session.commit()
    assert api().post("/auth/verify-email", json={"token": token}).status_code == 422


def test_an_unverified_provider_cannot_bid_until_it_verifies(app, api, make_user):
    brand = api(make_user("brand"))
    tender_id = brand.post("/tenders", json=tender_payload()).json["id"]
    provider_user = make_user("provider", verified=False)
    provider = api(provider_user)
    r = provider.post(f"/tenders/{tender_id}/bids", json=bid_payload())
    assert r.status_code == 403 and r.json["error"]["code"] == "email_unverified"
    with app.app_context():
        accounts.send_verification(db.session.get(User, provider_user.id))
        db.session.commit()
    assert api().post("/auth/verify-email", json={"token": _token_of_last_mail(app)}).status_code == 200
    assert provider.post(f"/tenders/{tender_id}/bids", json=bid_payload()).status_code == 201


def test_an_unverified_brand_cannot_award_or_fund(app, api, make_user, deal):
    """(the API's bid, award and fund routes share the services' gate with the web pages)"""
    d = deal()
    with app.app_context():
        brand = db.session.get(User, d.brand_id)
        brand.email_verified_at = None
        db.session.commit()
    d.deposit(150000_00)
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/fund")
    assert r.status_code == 403 and r.json["error"]["code"] == "email_unverified"
    # awarding: a second tender of the same (now unverified) brand
    tender_id = d.brand.post("/tenders", json=tender_payload()).json["id"]
    bid = api(make_user("provider")).post(f"/tenders/{tender_id}/bids", json=bid_payload())
    d.brand.post(f"/tenders/{tender_id}/close")
    r = d.brand.post(f"/tenders/{tender_id}/award", json={"bid_id": bid.json["id"]})
    assert r.status_code == 403 and r.json["error"]["code"] == "email_unverified"


def test_an_unverified_providers_earnings_wait_and_it_cannot_set_up_payouts(app):
    with app.test_request_context():
        verified, unverified = seed_earnings(2, 500_00)
        db.session.get(User, unverified).email_verified_at = None
        db.session.commit()
        assert payout_accounts.can_be_paid(db.session.get(User, verified))
        assert not payout_accounts.can_be_paid(db.session.get(User, unverified))
        batch = payouts.open_or_new_batch(None)
        db.session.commit()
        payouts.take_payouts(batch, 0, 10**9)
        db.session.commit()
        assert [p.provider_id for p in batch.payouts] == [verified]
        with pytest.raises(Forbidden) as refused:
            payout_accounts.save_bank_details(db.session.get(User, unverified), account_name="Li Lei",
                                              bank_name="ICBC Hangzhou", account_number="6222020200112233")
        assert refused.value.code == "email_unverified"


def test_the_web_shows_a_banner_with_a_resend_button_until_verified(app, client, make_user, login):
    user = make_user("provider", verified=False)
    login(user)
    page = client.get("/account").get_data(as_text=True)
    assert 'data-testid="verify-banner"' in page
    r = form_post(client, "/verify-email/resend", {}, page="/account")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(OutgoingMail.kind).where(OutgoingMail.user_id == user.id)) == "verify_email"
    client.get(urlsplit(_link(_last_text(app), "/verify-email/")).path)
    assert 'data-testid="verify-banner"' not in client.get("/account").get_data(as_text=True)


def _last_text(app) -> str:
    with app.app_context():
        return db.session.scalars(select(OutgoingMail.text_body).order_by(OutgoingMail.id.desc())).first()


# --- notifications by e-mail -------------------------------------------------------------------------------

def test_an_award_is_mailed_to_the_provider_in_its_language_unless_it_turned_mail_off(app, api, make_user,
                                                                                       market, smtp_mail):
    m = market(2)
    with app.app_context():
        db.session.get(User, m.provider_users[0].id).locale = "en"
        db.session.get(User, m.provider_users[1].id).email_notifications = False
        db.session.commit()
    first = m.bid(0)
    m.bid(1)
    m.close()
    m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": first["id"]})
    _send_all(app)
    awarded = [msg for msg in smtp_mail.messages if "won" in msg["Subject"]]
    assert len(awarded) == 1 and awarded[0]["To"] == m.provider_users[0].email
    text, html = _parts(awarded[0])
    assert "The contract is ready." in text
    link = _link(text, "/contracts/")
    assert link.startswith(app.config["PUBLIC_URL"]) and link in html
    with app.app_context():
        mailed = db.session.scalars(select(OutgoingMail.user_id).where(OutgoingMail.kind == "notification")).all()
    assert m.provider_users[1].id not in mailed  # its switch is off (the brand was told of both bids)


@pytest.mark.postgres
def test_two_senders_racing_for_one_message_send_it_once(app, api, smtp_mail):
    """The job queued after commit and the sweep can run at the same moment in two workers: the claim
    (one UPDATE, re-checked under the row lock) lets exactly one of them send."""
    api().post("/auth/register", json=REGISTER)
    with app.app_context():
        mail_id = db.session.scalar(select(OutgoingMail.id))
    barrier = threading.Barrier(8)

    def sender():
        with app.app_context():
            barrier.wait()
            result = mail_runner.send(mail_id)
            db.session.remove()
            return result

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _i: sender(), range(8)))
    assert sorted(results) == ["sent"] + ["skipped"] * 7
    assert len(smtp_mail.wait_for(1)) == 1
    time.sleep(0.2)
    assert len(smtp_mail.messages) == 1


def test_web_registration_mails_the_link_in_the_browsers_language_and_shows_the_banner(app, client):
    r = form_post(client, "/register", {"role": "brand", "display_name": "Moshan Tea", "email": "tea@example.com",
                                        "password": "long enough pw", "confirm": "long enough pw"},
                  headers={"Accept-Language": "en"})
    assert r.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(OutgoingMail))
        assert (row.kind, row.locale, row.to_address) == ("verify_email", "en", "tea@example.com")
        assert row.subject == "Confirm your e-mail address for Witkey"
    assert form_post(client, "/login", {"email": "tea@example.com", "password": "long enough pw"}).status_code == 302
    assert 'data-testid="verify-banner"' in client.get("/account").get_data(as_text=True)


def test_an_unverified_brand_funding_on_the_web_is_told_why(app, client, deal, login, make_user):
    d = deal()
    d.deposit(150000_00)
    with app.app_context():
        brand = db.session.get(User, d.brand_id)
        brand.email_verified_at = None
        db.session.commit()
        email = brand.email
    login(type("U", (), {"email": email})())
    r = form_post(client, f"/contracts/milestones/{d.milestone_ids[0]}/fund", {}, page="/account",
                  headers={"Accept-Language": "en"})
    assert r.status_code == 403
    assert "Confirm your e-mail address first" in r.get_data(as_text=True)
    assert d.milestone(0)["status"] == "pending"
