"""Notifications that reach people (issue 17 item 3): every notice names its tender or contract, a
booking says when in the reader's zone, the actor is not told of its own action, each reader chooses
per kind how notices come (in the app, e-mail at once, daily digest), the daily digest leaves once per
local date in the reader's zone, and messages in a conversation coalesce into one notice while unread.
E-mail is read from the in-process SMTP server (tests/support/smtp.py)."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from extensions import db
from i18n.labels import NOTIFICATION_KIND_LABELS
from models import Notification, NotificationDigest, OutgoingMail, User
from services import notification_prefs
from services.runners import mail as mail_runner
from tests.support.web import as_user, form_post
from texts import notifications as notification_texts
from workers import jobs
from workers.schedule import PERIODIC

TITLE = "Customer-service outsourcing for a national apparel brand"  # tests/support/factories.tender_payload


def _send_all(app) -> dict:
    with app.app_context():
        return mail_runner.send_due()


def _digests(app) -> dict:
    with app.app_context():
        return jobs.send_daily_digests()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _notices(app, user_id: int, kind: str | None = None) -> list[Notification]:
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def _set_user(app, user_id: int, **columns) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        for name, value in columns.items():
            setattr(user, name, value)
        db.session.commit()


def _me(caller) -> int:
    return caller.get("/me").json["id"]


# --- what a notice says ----------------------------------------------------------------------------

def test_milestone_notices_name_the_contract(app, deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    provider_id = _me(d.provider)
    funded = _notices(app, provider_id, "milestone_funded")[0]
    assert funded.params["about"] == {"type": "contract", "id": d.contract_id, "title": TITLE}
    r = d.provider.get("/notifications")
    message = next(i["message"] for i in r.json["items"] if i["kind"] == "milestone_funded")
    assert TITLE in message and "Milestone 1" in message


def test_the_bell_dropdown_lists_the_latest_grouped_by_tender_and_contract(app, deal, client, login):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    login(as_user(d.brand.get("/me").json["email"]))
    page = client.get("/contracts").get_data(as_text=True)
    assert 'data-latest="/notifications/latest"' in page and 'href="/notifications"' in page  # a link without JS
    html = client.get("/notifications/latest", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # newest group first: the contract (delivered), the wallet (deposit: no tender), the tender (bid received)
    assert html.count('data-testid="bell-group"') == 3
    title = f"“{TITLE}”"
    assert html.index(f"Contract {title}") < html.index("was delivered") < html.index("Other notices") \
        < html.index("credited to your wallet") < html.index(f"Tender {title}") < html.index("bid on")


def test_a_booking_notice_says_when_in_the_readers_time_zone(app, market):
    m = market(1)
    bid = m.bid(0)
    m.close()
    assert m.brand.post(f"/bids/{bid['id']}/advance", json={"score": 80}).status_code == 200
    starts = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=3)
    starts = starts.replace(hour=6, minute=30)
    r = m.brand.post(f"/bids/{bid['id']}/slots", json={"starts_at": starts.isoformat(), "duration_minutes": 45,
                                                        "location": "https://meet.example.com/pitch-1"})
    assert r.status_code == 201, r.json
    provider_id = m.provider_users[0].id
    _set_user(app, provider_id, timezone="Europe/Berlin", locale="en")
    message = next(i["message"] for i in m.providers[0].get("/notifications", headers={"Accept-Language": "en"})
                   .json["items"] if i["kind"] == "slot_scheduled")
    assert re.search(r"7:30\sAM", message) and "meet.example.com/pitch-1" in message  # 06:30 UTC: 07:30 in Berlin
    _set_user(app, provider_id, timezone="Asia/Shanghai")
    message = next(i["message"] for i in m.providers[0].get("/notifications", headers={"Accept-Language": "zh-CN"})
                   .json["items"] if i["kind"] == "slot_scheduled")
    assert "14:30" in message and "预约" in message


def test_the_brand_is_not_told_of_its_own_acceptance_and_both_hear_of_an_automatic_release(app, deal):
    d = deal()
    d.deposit(300000_00)
    d.release(0)
    brand_id, provider_id = d.brand_id, _me(d.provider)
    assert _notices(app, brand_id, "milestone_released") == []
    assert len(_notices(app, provider_id, "milestone_released")) == 1
    d.fund(1)
    d.deliver(1)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=30)), app.app_context():
        jobs.release_due_milestones()
    assert len(_notices(app, brand_id, "milestone_auto_released")) == 1  # nobody acted: both hear
    assert len(_notices(app, provider_id, "milestone_auto_released")) == 1


# --- preferences and e-mail -------------------------------------------------------------------------

def test_preferences_api_reads_defaults_changes_some_and_refuses_nonsense_whole(api, make_user):
    caller = api(make_user("provider"))
    r = caller.get("/me/notification-preferences")
    assert r.status_code == 200
    assert r.json["preferences"]["bid_awarded"] == "email" and r.json["preferences"]["bid_advanced"] == "in_app"
    assert r.json["deliveries"] == ["in_app", "email", "digest"] and r.json["digest_hour"] == 8
    r = caller.put("/me/notification-preferences", json={"preferences": {"bid_awarded": "digest",
                                                                          "bid_advanced": "email"}})
    assert r.status_code == 200 and r.json["preferences"]["bid_awarded"] == "digest"
    r = caller.put("/me/notification-preferences", json={"preferences": {"bid_awarded": "in_app",
                                                                          "no_such_kind": "email"}})
    assert r.status_code == 422 and "kinds" in r.json["error"]["fields"]
    r = caller.put("/me/notification-preferences", json={"preferences": {"bid_awarded": "sms"}})
    assert r.status_code == 422 and "delivery" in r.json["error"]["fields"]
    assert caller.get("/me/notification-preferences").json["preferences"]["bid_awarded"] == "digest"  # unchanged
    assert caller.put("/me/notification-preferences", json={"preferences": []}).status_code == 400


def test_preferences_page_saves_each_kind_and_keeps_the_choice_on_an_error(app, client, login, make_user):
    user = make_user("brand")
    login(user)
    page = client.get("/account/notifications")
    assert page.status_code == 200 and 'name="kind-bid_received"' in page.get_data(as_text=True)
    assert 'href="/account/notifications"' in client.get("/account").get_data(as_text=True)
    r = form_post(client, "/account/notifications", {"kind-bid_received": "digest", "kind-message_received": "in_app"},
                  page="/account/notifications")
    assert r.status_code == 302
    with app.app_context():
        chosen = notification_prefs.preferences(db.session.get(User, user.id))
    assert chosen["bid_received"] == "digest" and chosen["message_received"] == "in_app"
    r = form_post(client, "/account/notifications", {"kind-bid_received": "email", "kind-dispute_opened": "fax"},
                  page="/account/notifications")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="kind-bid_received"' in html and '<option value="email" selected>' in html
    with app.app_context():
        chosen = notification_prefs.preferences(db.session.get(User, user.id))
    assert chosen["bid_received"] == "digest"  # nothing changed


def test_immediate_email_follows_each_readers_choice(app, market, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    m = market(3)
    for i in range(3):
        m.bid(i)
    m.close()
    chooser, quiet, default = (u.id for u in m.provider_users)
    m.providers[0].put("/me/notification-preferences", json={"preferences": {"bid_rejected": "email"}})
    m.providers[1].put("/me/notification-preferences", json={"preferences": {"bid_rejected": "in_app"}})
    bids = {b["provider"]["id"]: b["id"] for b in m.brand.get(f"/tenders/{m.tender_id}/bids").json["items"]}
    for provider_id in (chooser, quiet, default):
        r = m.brand.post(f"/bids/{bids[provider_id]}/reject", json={"reason": "Team too small for the volume"})
        assert r.status_code == 200, r.json
    _send_all(app)
    received = smtp_server.wait_for(1)
    rejected = [msg for msg in received if "Team too small" in _text(msg)]
    assert [msg["To"] for msg in rejected] == [m.provider_users[0].email]  # in-app by default, and by choice
    assert TITLE in _text(rejected[0])
    assert all(len(_notices(app, uid, "bid_rejected")) == 1 for uid in (chooser, quiet, default))  # all in-app


# --- the daily digest -------------------------------------------------------------------------------

def _digest_provider(app, market):
    """A provider in Los Angeles who wants bid rejections and round moves in the digest."""
    m = market(2)
    bids = [m.bid(0), m.bid(1)]
    m.close()
    provider_id = m.provider_users[0].id
    _set_user(app, provider_id, timezone="America/Los_Angeles", locale="en")
    r = m.providers[0].put("/me/notification-preferences", json={"preferences": {"bid_advanced": "digest",
                                                                                  "bid_rejected": "digest"}})
    assert r.status_code == 200
    return m, bids, provider_id


def test_the_digest_leaves_once_a_local_day_after_the_hour_in_the_readers_zone(app, market, smtp_server,
                                                                                monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    # 14:00 UTC on a winter day is 06:00 in Los Angeles: before the digest hour (08:00) there
    with time_machine.travel(datetime(2031, 1, 15, 14, 0, tzinfo=UTC), tick=False):
        m, bids, provider_id = _digest_provider(app, market)
        m.brand.post(f"/bids/{bids[0]['id']}/advance", json={"score": 80})
        _send_all(app)
        assert _digests(app)["sent"] == 0  # not yet 08:00 where the reader is
    assert not [msg for msg in smtp_server.inbox.messages if msg["To"] == m.provider_users[0].email]
    with time_machine.travel(datetime(2031, 1, 15, 16, 5, tzinfo=UTC), tick=False):  # 08:05 in Los Angeles
        assert _digests(app)["sent"] == 1
        assert _digests(app)["sent"] == 0  # twice in one day: nothing more
        _send_all(app)
        (digest,) = [msg for msg in smtp_server.wait_for(1) if "summary" in msg["Subject"]]
        assert digest["To"] == m.provider_users[0].email and "daily summary (1)" in digest["Subject"]
        text = _text(digest)
        assert f"Tender “{TITLE}”" in text and "moved on to the next round" in text
        m.brand.post(f"/bids/{bids[0]['id']}/reject", json={"reason": "Too expensive for this volume"})
        assert _digests(app)["sent"] == 0  # a later notice waits for tomorrow's digest
    with time_machine.travel(datetime(2031, 1, 16, 7, 0, tzinfo=UTC), tick=False):  # 23:00 on the 15th there
        assert _digests(app)["sent"] == 0
    with time_machine.travel(datetime(2031, 1, 16, 16, 0, tzinfo=UTC), tick=False):  # 08:00 on the 16th
        assert _digests(app)["sent"] == 1
        _send_all(app)
        second = [msg for msg in smtp_server.wait_for(2) if "summary" in msg["Subject"]][1]
        assert "Too expensive" in _text(second) and "moved on" not in _text(second)
    with time_machine.travel(datetime(2031, 1, 17, 16, 0, tzinfo=UTC), tick=False):
        assert _digests(app)["sent"] == 0  # nothing pending: no empty digest
    with app.app_context():
        dates = db.session.scalars(select(NotificationDigest.local_date).where(
            NotificationDigest.user_id == provider_id).order_by(NotificationDigest.local_date)).all()
        assert [str(d) for d in dates] == ["2031-01-15", "2031-01-16"]
        mailed = db.session.scalar(select(func.count()).select_from(OutgoingMail)
                                   .where(OutgoingMail.user_id == provider_id))
        assert mailed == 2  # the digest kinds were never mailed one by one


def test_the_digest_is_scheduled_and_respects_the_accounts_email_switch(app, market, smtp_server, monkeypatch):
    assert any(name == "send-daily-digests" for name, *_rest in PERIODIC)
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    with time_machine.travel(datetime(2031, 1, 15, 17, 0, tzinfo=UTC), tick=False):
        m, bids, provider_id = _digest_provider(app, market)
        m.brand.post(f"/bids/{bids[0]['id']}/advance", json={"score": 80})
        _set_user(app, provider_id, email_notifications=False)
        assert _digests(app)["sent"] == 0
        assert _notices(app, provider_id, "bid_advanced")[0].digest_pending is False  # in the app only now


def test_the_digest_renders_in_the_readers_language(app, market):
    with time_machine.travel(datetime(2031, 1, 15, 17, 0, tzinfo=UTC), tick=False):
        m, bids, provider_id = _digest_provider(app, market)
        _set_user(app, provider_id, locale="zh_CN")
        m.brand.post(f"/bids/{bids[0]['id']}/advance", json={"score": 80})
        assert _digests(app)["sent"] == 1
    with app.app_context():
        row = db.session.scalar(select(OutgoingMail).where(OutgoingMail.kind == "digest"))
        assert row.locale == "zh_CN" and "每日" in row.subject


# --- conversations ----------------------------------------------------------------------------------

def test_messages_coalesce_into_one_notice_per_thread_until_read_and_mail_once(app, market, smtp_server,
                                                                               monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_URL", smtp_server.url)
    m = market(1)
    m.bid(0)
    r = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "First question"})
    conv_id = r.json["id"]
    for n in range(4):
        assert m.providers[0].post(f"/conversations/{conv_id}/messages", json={"body": f"More {n}"}).status_code == 201
    brand_id, provider_id = _me(m.brand), m.provider_users[0].id
    (notice,) = _notices(app, brand_id, "message_received")
    assert notice.params["count"] == 5 and notice.params["excerpt"] == "More 3"
    assert notice.params["about"]["title"] == TITLE
    assert _notices(app, provider_id, "message_received") == []  # the sender hears nothing of its own words
    _send_all(app)
    assert len([msg for msg in smtp_server.wait_for(1) if "wrote to you" in _text(msg)
                or "给您" in _text(msg) or "发来" in _text(msg)]) == 1
    assert m.brand.post(f"/conversations/{conv_id}/read").status_code == 200
    assert _notices(app, brand_id, "message_received")[0].read_at is not None  # reading the thread reads it
    m.providers[0].post(f"/conversations/{conv_id}/messages", json={"body": "After you read"})
    rows = _notices(app, brand_id, "message_received")
    assert len(rows) == 2 and rows[1].params["count"] == 1 and rows[1].read_at is None



@pytest.mark.postgres  # skipped on SQLite (tests/support/tiers.py): one writer at a time, nothing to race
def test_digest_sweeps_racing_send_one_digest_per_reader_and_day(app, market):
    """Two schedulers (or a retried job) sweeping at the same moment: the (user, local date) key lets one
    of them write the digest; the other finds it taken and writes nothing."""
    with time_machine.travel(datetime(2031, 1, 15, 17, 0, tzinfo=UTC), tick=False):
        m, bids, provider_id = _digest_provider(app, market)
        m.brand.post(f"/bids/{bids[0]['id']}/advance", json={"score": 80})
        barrier = threading.Barrier(6)

        def sweep():
            with app.app_context():
                barrier.wait()
                try:
                    return jobs.send_daily_digests()["sent"]
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(6) as pool:
            sent = list(pool.map(lambda _i: sweep(), range(6)))
    assert sum(sent) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail)
                                 .where(OutgoingMail.kind == "digest", OutgoingMail.user_id == provider_id)) == 1



def test_every_kind_of_notice_can_be_chosen_on_the_preferences_page():
    """A kind added without a place in notification_prefs.KINDS could not be switched to e-mail or the
    digest by anyone (and `update` would refuse it); each also needs its label on the page."""
    source = Path(notification_texts.__file__).read_text(encoding="utf-8")
    rendered = set(re.findall(r'^\s+"([a-z_]+)": lambda', source, re.M))
    assert rendered and rendered <= set(notification_prefs.KINDS)
    assert set(notification_prefs.KINDS) <= set(NOTIFICATION_KIND_LABELS)
