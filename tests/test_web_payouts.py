"""Payout pages: a provider's balance and bank details; staff batches, bank file, marking payouts."""
from sqlalchemy import select

from extensions import db
from models import Payout, PayoutAccount, PayoutBatch
from services.runners import payout_batch
from tests.support.payout_fixtures import give_earnings
from tests.support.web import form_post, otp_for, signed_in

EN = {"Accept-Language": "en"}


def test_provider_sees_what_is_ready_and_on_hold_and_saves_bank_details(app, make_user, login):
    provider = make_user("provider", totp=True)  # changing payout details needs a two-factor code
    with app.app_context():
        give_earnings([provider.id], 800_00, days_ago=10)
        db.session.delete(db.session.get(PayoutAccount, provider.id))  # no destination yet
        db.session.commit()
    client = login(provider)
    html = client.get("/payouts").get_data(as_text=True)
    assert "¥800.00" in html and 'data-testid="not-payable"' in html
    bad = form_post(client, "/payouts/bank-details", {"account_name": "Lens Ltd", "bank_name": "ICBC",
                                                       "account_number": "12-34"}, page="/payouts", headers=EN)
    assert bad.status_code == 422 and "8 to 34" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PayoutAccount, provider.id) is None  # a refused form changes nothing
    ok = form_post(client, "/payouts/bank-details", {"account_name": "Shanghai Lens Ltd", "bank_name": "ICBC Xuhui",
                                                      "account_number": "6222 0202 0011 2233",
                                                      "otp": otp_for(app, provider.email)}, page="/payouts")
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(PayoutAccount, provider.id).bank_account_number == "6222020200112233"
    assert 'data-testid="not-payable"' not in client.get("/payouts").get_data(as_text=True)


def test_changing_bank_details_needs_a_current_two_factor_code(app, make_user, login):
    details = {"account_name": "Shanghai Lens Ltd", "bank_name": "ICBC Xuhui", "account_number": "6222020200112233"}
    plain = make_user("provider")  # not enrolled: told to set up two-factor sign-in first, nothing saved
    client = login(plain)
    assert 'data-testid="totp-needed"' in client.get("/payouts").get_data(as_text=True)
    r = form_post(client, "/payouts/bank-details", details, page="/payouts", headers=EN)
    assert r.status_code == 422 and "two-factor sign-in" in r.get_data(as_text=True)
    enrolled = make_user("provider", totp=True)
    client = signed_in(app, enrolled.id)
    for code in ("", "000000", "not-a-code"):
        r = form_post(client, "/payouts/bank-details", {**details, "otp": code}, page="/payouts", headers=EN)
        assert r.status_code == 422 and "Not the current code." in r.get_data(as_text=True), code
    with app.app_context():
        for user in (plain, enrolled):
            account = db.session.get(PayoutAccount, user.id)
            assert account is None or account.bank_account_number is None
    code = otp_for(app, enrolled.email)
    assert form_post(client, "/payouts/bank-details", {**details, "otp": code}, page="/payouts").status_code == 302
    # the same code again (a replay) is refused, though it is still the current one
    r = form_post(client, "/payouts/bank-details", {**details, "account_number": "6222999900001111", "otp": code},
                  page="/payouts", headers=EN)
    assert r.status_code == 422
    with app.app_context():
        assert db.session.get(PayoutAccount, enrolled.id).bank_account_number == "6222020200112233"


def test_staff_run_a_batch_download_the_bank_file_and_mark_payouts(app, make_user, login, earnings):
    first, second = earnings(2, amount=1234_56)
    staff = make_user("admin")
    client = login(staff)
    started = form_post(client, "/payouts/batches/run", {}, page="/payouts/batches")
    assert started.status_code == 302
    with app.app_context():
        batch_id = db.session.scalar(select(PayoutBatch.id))
        payout_batch.run_batch(batch_id)  # the enqueued job, run here (a real worker runs it in test_payout_crash.py)
        ids = {p.provider_id: p.id for p in db.session.scalars(select(Payout))}
    progress = client.get(f"/payouts/batches/{batch_id}/progress").json
    assert progress["batch_status"] == "closed" and progress["job_status"] == "queued"  # run above, not by a worker
    page = client.get(f"/payouts/batches/{batch_id}").get_data(as_text=True)
    assert "¥2,469.12" in page and 'data-testid="bank-file"' in page
    csv_file = client.get(f"/payouts/batches/{batch_id}/bank-file.csv")
    assert csv_file.headers["Content-Disposition"].endswith(f'witkey-payouts-batch-{batch_id}.csv"')
    assert "1234.56,CNY" in csv_file.get_data(as_text=True)
    path = f"/payouts/batches/{batch_id}"
    assert form_post(client, f"{path}/payouts/{ids[first]}/paid", {"reference": "ICBC-1"}, page=path).status_code == 302
    refused = form_post(client, f"{path}/payouts/{ids[first]}/paid", {"reference": "ICBC-2"}, page=path, headers=EN)
    assert refused.status_code == 422 and "already settled" in refused.get_data(as_text=True)
    assert form_post(client, f"{path}/payouts/{ids[second]}/failed", {"reason": "Name mismatch"},
                     page=path).status_code == 302
    with app.app_context():
        assert {p.provider_id: p.status for p in db.session.scalars(select(Payout))} == {first: "paid",
                                                                                         second: "failed"}
    assert "Name mismatch" in client.get(f"{path}?status=failed").get_data(as_text=True)
    # The page in Chinese (the default): amounts in yuan, statuses translated.
    assert "¥1,234.56" in client.get(path).get_data(as_text=True)


def test_staff_payout_pages_are_for_staff_only(make_user, login):
    client = login(make_user("provider"))
    assert client.get("/payouts/batches").status_code == 403
    assert client.get("/payouts/batches/1/bank-file.csv").status_code == 403


def test_brands_have_no_payout_page(make_user, login):
    assert login(make_user("brand")).get("/payouts").status_code == 403
