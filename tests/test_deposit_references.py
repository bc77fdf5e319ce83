"""A bank transfer is credited once however its reference is typed (issue 14, finding 9): case, spaces,
separators and full-width characters do not make a second deposit, including against keys written
before references were normalised."""
import pytest

from extensions import db
from services import funding, ledger
from tests.support.ledger import balances


@pytest.mark.parametrize("again", ["dup-ab12", "DUP AB12", "dup_ab.12", "DUPAB12", " Dup/Ab12 ", "ＤＵＰ－ａｂ１２"])
def test_the_same_reference_typed_differently_is_a_duplicate(deal, again):
    d = deal()
    d.deposit(100_00, "DUP-ab12")
    r = d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 100_00, "currency": "CNY",
                                               "reference": again})
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_deposit", (again, r.json)
    assert balances(d.brand) == {"brand_wallet": 100_00}


def test_a_key_written_before_normalising_still_refuses_its_transfer(deal, app):
    """Old posting keys are kept as they were written; the check normalises them when it reads them."""
    d = deal()
    with app.app_context():
        wallet = ledger.account("brand_wallet", "CNY", user_id=d.brand_id)
        ledger.post("deposit:CNY:Legacy-ref 7", "deposit", [(ledger.clearing("bank_clearing", "CNY"), -5_00),
                                                            (wallet, 5_00)], reference="Legacy-ref 7")
        db.session.commit()
    r = d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 5_00, "currency": "CNY",
                                               "reference": "LEGACY-REF-7"})
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate_deposit"
    d.deposit(7_00, "LEGACY-REF-8")  # a different transfer is still recorded
    assert balances(d.brand) == {"brand_wallet": 12_00}


def test_references_of_separators_only_are_refused(deal):
    d = deal()
    r = d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 1, "currency": "CNY",
                                               "reference": "- / -"})
    assert r.status_code == 422 and "reference" in r.json["error"]["fields"]
    assert funding.deposit_key("CNY", "ｄｅｍｏ－ｂａｎｋ 0002") == "deposit:CNY:DEMOBANK0002"
