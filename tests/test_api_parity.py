"""API parity (issue 20, item 2): what the web's account, wallet and statements pages do, through
/api/v1 with the same service calls and the same rules — settings, password, API tokens, signed-in
browsers, a brand's withdrawal bank account, and monthly statements as JSON and CSV."""
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from extensions import db
from models import ApiToken, PayoutAccount, UserLogin
from services.statements import Month
from tests.support.web import PASSWORD, TOTP_SECRET

BANK = {"account_name": "Shanghai Brand Co.", "bank_name": "CMB Shanghai", "account_number": "6225 8812 3456 0042"}


def _next_code() -> tuple[str, object]:
    """A code of the next 30-second step (signing the token in used the current one; a code works once)."""
    later = datetime.now(UTC) + timedelta(seconds=30)
    return pyotp.TOTP(TOTP_SECRET).at(later), time_machine.travel(later, tick=True)


# --- settings and password ------------------------------------------------------------------------

def test_settings_read_and_change_with_the_services_checks(api, make_user):
    caller = api(make_user("brand"))
    assert caller.get("/me/settings").json["timezone"]
    r = caller.put("/me/settings", json={"display_name": "Lin's shop", "locale": "zh_CN",
                                         "timezone": "Asia/Shanghai", "email_notifications": False})
    assert r.status_code == 200, r.json
    assert r.json == {"display_name": "Lin's shop", "locale": "zh_CN", "timezone": "Asia/Shanghai",
                      "email_notifications": False}
    bad = caller.put("/me/settings", json={"display_name": "Lin", "timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and "timezone" in bad.json["error"]["fields"]
    wrong_type = caller.put("/me/settings", json={"display_name": 5, "timezone": "Asia/Shanghai"})
    assert wrong_type.status_code == 400 and wrong_type.json["error"]["code"]
    assert caller.get("/me/settings").json["display_name"] == "Lin's shop"  # refused changes left nothing
    assert caller.get("/me").json["display_name"] == "Lin's shop"


def test_password_change_checks_the_current_one_and_revokes_tokens(app, api, client, make_user):
    user = make_user("provider")
    caller, other = api(user), api(user)
    wrong = caller.post("/me/password", json={"current_password": "not it", "new_password": "A-new-pass-2026!"})
    assert wrong.status_code == 422 and "current_password" in wrong.json["error"]["fields"]
    assert caller.get("/me").status_code == 200  # nothing changed
    r = caller.post("/me/password", json={"current_password": PASSWORD, "new_password": "A-new-pass-2026!"})
    assert r.status_code == 204
    assert other.get("/me").status_code == 401 and caller.get("/me").status_code == 401  # every token revoked
    old = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "A-new-pass-2026!"})
    assert new.status_code == 201


# --- API tokens and signed-in browsers ------------------------------------------------------------

def test_tokens_are_listed_and_revoked_only_by_their_owner(app, api, make_user):
    owner, outsider = make_user("brand"), make_user("brand")
    first, second, stranger = api(owner), api(owner), api(outsider)
    items = first.get("/me/tokens").json["items"]
    assert len(items) == 2 and all("token_hash" not in t and t["prefix"] for t in items)
    second_id = items[0]["id"]  # newest first: the second token
    assert stranger.delete(f"/me/tokens/{second_id}").status_code == 404  # someone else's token
    assert second.get("/me").status_code == 200
    assert first.delete(f"/me/tokens/{second_id}").status_code == 204
    assert second.get("/me").status_code == 401 and first.get("/me").status_code == 200
    assert first.delete("/me/tokens/999999").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, second_id).revoked_at is not None


def test_browser_logins_are_listed_and_signed_out(app, api, client, login, make_user):
    user, outsider = make_user("provider"), make_user("provider")
    login(user)
    assert client.get("/account").status_code == 200
    caller = api(user)
    logins = caller.get("/me/logins").json["items"]
    assert len(logins) == 1
    assert api(outsider).delete(f"/me/logins/{logins[0]['id']}").status_code == 404
    assert client.get("/account").status_code == 200  # still signed in
    assert caller.delete(f"/me/logins/{logins[0]['id']}").status_code == 204
    assert client.get("/account").status_code == 302  # that browser is signed out
    login(user)
    assert caller.post("/me/logins/end-all").json == {"ended": 1}
    assert client.get("/account").status_code == 302
    assert caller.get("/me").status_code == 200  # API tokens stay
    with app.app_context():
        assert db.session.scalars(select(UserLogin).where(UserLogin.user_id == user.id)).all() == []


# --- a brand's withdrawal bank account -------------------------------------------------------------

def test_a_brand_saves_its_withdrawal_bank_account_with_a_code(app, api, make_user):
    brand = make_user("brand", totp=True)
    caller = api(brand)
    assert caller.get("/wallet/bank-account").json == {"bank": None}
    assert api(make_user("provider")).get("/wallet/bank-account").status_code == 403  # wrong role
    assert api(make_user("provider")).put("/wallet/bank-account", json=BANK).status_code == 403
    no_code = caller.put("/wallet/bank-account", json=BANK)
    assert no_code.status_code == 422 and no_code.json["error"]["code"] == "invalid_otp"
    assert caller.put("/wallet/bank-account", json={**BANK, "account_number": 622588}).status_code == 400
    code, later = _next_code()
    with later:
        bad = caller.put("/wallet/bank-account", json={**BANK, "account_number": "12", "otp": code})
        assert bad.status_code == 422 and "account_number" in bad.json["error"]["fields"]
        r = caller.put("/wallet/bank-account", json={**BANK, "otp": code})
    assert r.status_code == 200, r.json
    assert r.json["bank"] == {"account_name": BANK["account_name"], "bank_name": BANK["bank_name"],
                              "account_number_last4": "0042"}
    assert caller.get("/wallet/bank-account").json == r.json
    with app.app_context():
        account = db.session.scalar(select(PayoutAccount).where(PayoutAccount.provider_id == brand.id))
        assert account.bank_account_number == "6225881234560042"


# --- statements -----------------------------------------------------------------------------------

def test_statements_as_json_and_csv_by_role(app, deal, make_user, api):
    d = deal(amounts=(100000, 50000))
    d.deposit(150000)
    d.release(0)
    month = str(Month.containing(datetime.now(UTC), "Asia/Shanghai"))
    d.provider.put("/me/settings", json={"display_name": "Provider", "timezone": "Asia/Shanghai"})

    mine = d.provider.get(f"/me/statements/{month}")
    assert mine.status_code == 200, mine.json
    assert mine.json["view"] == "provider" and mine.json["brand"] is None
    (cny,) = mine.json["provider"]
    assert cny["currency"] == "CNY" and cny["opening"] == 0
    release = next(line for line in cny["lines"] if line["kind"] == "release")
    assert release["gross"] == 100000 and release["net"] == 100000 - release["commission"] > 0
    assert cny["closing"] == cny["totals"]["net"] == release["net"]
    assert release["engagement"] == "fixed" and cny["by_engagement"] == {"fixed": 100000}  # as the page shows

    spend = d.brand.get(f"/me/statements/{month}").json
    assert spend["view"] == "brand" and spend["provider"] is None
    assert spend["brand"][0]["funded"] == 100000 and spend["brand"][0]["contracts"][0]["contract_id"] == d.contract_id
    assert spend["brand"][0]["by_engagement"] == {"fixed": spend["brand"][0]["net"]}

    csv = d.provider.get(f"/me/statements/{month}.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert f"witkey-statement-{month}.csv" in csv.headers["Content-Disposition"]
    text = csv.get_data(as_text=True)
    assert "1000.00" in text and release["key"] in text
    spend_csv = d.brand.get(f"/me/statements/{month}.csv")
    assert f"witkey-spend-{month}.csv" in spend_csv.headers["Content-Disposition"]
    assert "1000.00" in spend_csv.get_data(as_text=True)

    # Another provider's statement of the same month is its own (empty), never this one's.
    other = api(make_user("provider")).get(f"/me/statements/{month}").json
    assert other["provider"] == []
    assert d.staff.get(f"/me/statements/{month}").status_code == 403  # staff have no statement
    assert d.staff.get(f"/me/statements/{month}.csv").status_code == 403
    bad = d.provider.get("/me/statements/2026-13")
    assert bad.status_code == 422 and "month" in bad.json["error"]["fields"]
    assert d.provider.get("/me/statements/october.csv").status_code == 422
