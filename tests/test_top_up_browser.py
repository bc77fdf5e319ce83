"""In Chromium (issue 18, "Done when"): a brand that just registered reads its own transfer reference on
the wallet page, finance imports a bank statement line carrying it on the staff page, the wallet shows
the money, and the brand funds its first milestone from it."""
import pytest

from tests.support.factories import bid_payload, tender_payload
from tests.support.web import Api, otp_for
from tests.test_browser import _verification_path, login_as, register

pytestmark = pytest.mark.browser
PASSWORD = "long enough pw"  # what tests.test_browser.register types


def test_a_new_brand_tops_up_by_bank_transfer_and_funds_its_first_milestone(new_page, app, api, make_user, tmp_path):
    email = "lanxi-tea@example.com"
    brand = new_page()
    register(brand, "brand", "Lanxi Tea", email)
    brand.goto(_verification_path(app, email))  # funding waits for a verified address

    brand.goto("/wallet")
    reference = brand.get_by_test_id("transfer-reference").inner_text().strip()
    assert reference.startswith("WK") and len(reference) == 8

    # Its first contract, set up through the API: a tender, a provider's bid of 3 × 1,000.00, the award.
    client = api().client
    token = client.post("/api/v1/auth/tokens", json={"email": email, "password": PASSWORD}).json["token"]
    brand_api = Api(client, token)
    tender = brand_api.post("/tenders", json=tender_payload(rounds=["proposal"], budget_min=2000_00,
                                                            budget_max=5000_00))
    assert tender.status_code == 201, tender.json
    tender_id = tender.json["id"]
    bid = api(make_user("provider")).post(f"/tenders/{tender_id}/bids", json=bid_payload(3000_00))
    assert bid.status_code == 201, bid.json
    assert brand_api.post(f"/tenders/{tender_id}/close").status_code == 200
    award = brand_api.post(f"/tenders/{tender_id}/award", json={"bid_id": bid.json["id"]})
    assert award.status_code == 201, award.json
    contract_id = award.json["contract_id"]

    # Finance imports the bank's statement on the staff page; the line names the brand's reference,
    # typed loosely as payers do.
    staff_user = make_user("admin")
    statement = tmp_path / "statement.csv"
    statement.write_text("date,amount,currency,reference,transaction_id\n"
                         f"2026-12-06,1500.00,CNY,{reference[:4].lower()} {reference[4:]},ICBC-20261206-0001\n")
    staff = new_page()
    login_as(staff, staff_user.email, otp=otp_for(app, staff_user.email))
    staff.goto("/admin/bank-statements")
    staff.set_input_files("#file", str(statement))
    staff.click("main form[enctype] button[type=submit]")
    staff.wait_for_url("**/admin/bank-statements")
    assert staff.locator(".flash-success").count() == 1
    assert staff.get_by_test_id("statement-queue").locator("tbody tr td[colspan]").count() == 1  # nothing queued

    brand.goto("/wallet")
    assert brand.get_by_test_id("balance-brand_wallet").inner_text() == "¥1,500.00"

    brand.goto(f"/contracts/{contract_id}")
    first = brand.locator("[data-testid^=fund-]").first
    first.click()  # the confirm() is accepted by the harness
    brand.wait_for_selector("[data-testid=milestone-status-1]:has-text('In escrow')")
    brand.goto("/wallet")
    assert brand.get_by_test_id("balance-brand_wallet").inner_text() == "¥500.00"
