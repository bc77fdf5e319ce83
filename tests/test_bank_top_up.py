"""Brands top up by bank transfer (issue 18, item 1): the brand's permanent reference with its check
character, the statement import (each bank transaction credited once, ever; a malformed file refused
whole, naming line and field), and staff's queue of lines that matched no wallet."""
import io
import json
import random
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from demo.seed import BRANDS
from extensions import db
from models import BankStatementLine, LedgerPosting, StaffAction, User
from services import ledger, transfer_references
from tests.support.ledger import balances, reconcile
from tests.support.orgs import team
from tests.support.web import form_post
from tests.test_concurrency import race

HEADER = "date,amount,currency,reference,transaction_id\n"


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode()


def upload(staff, data: bytes, **form):
    return staff.post("/admin/bank-statements", data={"file": (io.BytesIO(data), "statement.csv"), **form},
                      content_type="multipart/form-data")


@pytest.fixture
def bank(api, make_user):
    """A brand (its API caller, id and reference) and a staff caller."""
    brand_user = make_user("brand")
    brand = api(brand_user)
    return brand, brand_user.id, transfer_references.reference_for(brand_user.id), api(make_user("admin"))


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(BankStatementLine)),
                db.session.scalar(select(func.count()).select_from(LedgerPosting)))


# --- the reference --------------------------------------------------------------------------------

def test_references_are_unambiguous_unique_and_read_back():
    assert not set("01ILOUZ") & set(transfer_references.ALPHABET)
    ids = [*range(1, 3000), transfer_references.SPACE - 1]
    references = [transfer_references.reference_for(i) for i in ids]
    assert len(set(references)) == len(ids)
    assert all(len(r) == 8 and r.startswith("WK") for r in references)
    assert [transfer_references.account_id_of(r) for r in references] == ids
    # typed loosely it is the same reference
    assert transfer_references.account_id_of(" " + references[41][:4].lower() + "-" + references[41][4:]) == 42


def test_the_check_character_catches_every_single_typo_and_neighbour_swap():
    rng = random.Random(18)
    for account_id in [1, 2, 29, 841, *rng.sample(range(1, transfer_references.SPACE), 300)]:
        ref = transfer_references.reference_for(account_id)
        for i in range(2, len(ref)):
            for ch in transfer_references.ALPHABET:
                if ch != ref[i]:
                    assert transfer_references.account_id_of(ref[:i] + ch + ref[i + 1:]) is None, (ref, i, ch)
            if i + 1 < len(ref) and ref[i] != ref[i + 1]:
                swapped = ref[:i] + ref[i + 1] + ref[i] + ref[i + 2:]
                assert transfer_references.account_id_of(swapped) is None, (ref, swapped)


# --- what the brand sees --------------------------------------------------------------------------

def test_a_brand_reads_the_bank_account_and_its_own_reference(bank, app, api, make_user):
    brand, brand_id, reference, _staff = bank
    r = brand.get("/wallet/top-up")
    assert r.status_code == 200
    assert r.json == {"bank": {"name": app.config["PLATFORM_BANK_NAME"], "account": app.config["PLATFORM_BANK_ACCOUNT"],
                               "holder": app.config["PLATFORM_BANK_HOLDER"]}, "reference": reference}
    assert brand.get("/wallet/top-up").json["reference"] == reference  # permanent
    other = api(make_user("brand")).get("/wallet/top-up").json["reference"]
    assert other != reference
    assert api(make_user("provider")).get("/wallet/top-up").status_code == 403


def test_the_wallet_page_shows_the_bank_account_and_the_reference(app, login, make_user):
    brand_user = make_user("brand")
    html = login(brand_user).get("/wallet").get_data(as_text=True)
    assert transfer_references.reference_for(brand_user.id) in html
    assert app.config["PLATFORM_BANK_ACCOUNT"] in html and app.config["PLATFORM_BANK_HOLDER"] in html


# --- importing ------------------------------------------------------------------------------------

def test_matching_lines_are_credited_once_and_the_rest_queued(bank, app):
    brand, brand_id, reference, staff = bank
    wrong_check = reference[:-1] + ("A" if reference[-1] != "A" else "B")
    data = csv_file(f"2026-12-01,1234.50,CNY,{reference},TX-001",
                    f"2026-12-01,100.00,CNY,{reference.lower()[:4]} {reference[4:].lower()},TX-002",
                    "2026-12-02,80.00,CNY,payment for goods,TX-003",
                    f"2026-12-02,30.00,CNY,{wrong_check},TX-004")
    r = upload(staff, data)
    assert r.status_code == 200, r.json
    assert r.json["matched"] == 2 and r.json["duplicates"] == 0
    queued = {line["transaction_id"]: line for line in r.json["unmatched"]}
    assert set(queued) == {"TX-003", "TX-004"}
    assert queued["TX-003"]["line"] == 4 and queued["TX-003"]["reason"] == "no_reference"
    assert queued["TX-004"]["line"] == 5 and queued["TX-004"]["reason"] == "check_digit"
    assert queued["TX-004"]["field"] == "reference" and queued["TX-004"]["message"]
    assert balances(brand) == {"brand_wallet": 1334_50}

    again = upload(staff, data)
    assert again.json == {"matched": 0, "unmatched": [], "duplicates": 4}
    # the bank's id typed differently is the same transaction
    assert upload(staff, csv_file(f"2026-12-01,1234.50,CNY,{reference},tx 001")).json["duplicates"] == 1
    assert balances(brand) == {"brand_wallet": 1334_50}
    with app.app_context():
        summary = ledger.summary()
        assert all(total == 0 for total in summary[1].values())
        assert {b.kind: b.amount for b in summary[0]}["bank_suspense"] == 110_00
        assert db.session.scalar(select(func.count()).select_from(StaffAction)
                                 .where(StaffAction.action == "bank_statement.import")) == 3


@pytest.mark.parametrize("lines, where", [
    (["2026-12-01,\"1,234.50\",CNY,WKJC587K,T1"], "line 3: amount"),
    (["2026-12-01,１２３４.50,CNY,WKJC587K,T1"], "line 3: amount"),
    (["2026-12-01,-5.00,CNY,WKJC587K,T1"], "line 3: amount"),
    (["2026-12-01,5.001,CNY,WKJC587K,T1"], "line 3: amount"),
    (["2026-12-01,0.00,CNY,WKJC587K,T1"], "line 3: amount"),
    (["2026-12-01,5.00,CNY,WKJC587K,T1", "2026-12-02,6.00,CNY,WKJC587K,t-1"], "line 4: transaction_id"),
    (["2026-12-01,5.00,CNY,WKJC587K,"], "line 3: transaction_id"),
    (["01/12/2026,5.00,CNY,WKJC587K,T1"], "line 3: date"),
    (["2026-12-01,5.00,RMB,WKJC587K,T1"], "line 3: currency"),
    (["2026-12-01,5.00,CNY,WKJC587K,T1,extra"], "line 3"),
])
def test_a_malformed_file_is_refused_whole_naming_line_and_field(bank, app, lines, where):
    brand, _brand_id, reference, staff = bank
    before = counts(app)
    r = upload(staff, csv_file(f"2026-11-30,10.00,CNY,{reference},GOOD-1", *lines))
    assert r.status_code == 422, r.json
    assert where in r.json["error"]["fields"], r.json
    assert counts(app) == before and balances(brand) == {}


def test_wrong_columns_are_refused(bank, app):
    _brand, _id, reference, staff = bank
    r = upload(staff, csv_file(f"2026-12-01,10.00,CNY,{reference}", header="date,amount,currency,reference\n"))
    assert r.status_code == 422 and "transaction_id" in r.json["error"]["fields"]["file"]
    assert counts(app) == (0, 0)


def test_a_configured_bank_format_maps_its_own_columns(bank):
    brand, _id, reference, staff = bank
    data = f"交易日期,贷方金额,币种,摘要,流水号\n2026-12-01,20.00,CNY,{reference},CMB-1\n".encode()
    assert upload(staff, data).status_code == 422  # not the default's columns
    r = upload(staff, data, bank="cmb")
    assert r.status_code == 200 and r.json["matched"] == 1
    assert balances(brand) == {"brand_wallet": 20_00}


def test_only_staff_import(bank):
    brand, _id, reference, _staff = bank
    assert upload(brand, csv_file(f"2026-12-01,10.00,CNY,{reference},X1")).status_code == 403


# --- the queue ------------------------------------------------------------------------------------

def test_staff_assign_or_return_queued_lines_once_each_audited(bank, app):
    brand, brand_id, reference, staff = bank
    r = upload(staff, csv_file("2026-12-01,70.00,CNY,from Mr Wang,Q1", "2026-12-01,9.00,CNY,??,Q2"))
    q1, q2 = (line["id"] for line in sorted(r.json["unmatched"], key=lambda line: line["transaction_id"]))
    assert [line["id"] for line in staff.get("/admin/bank-statements/unmatched").json["items"]] == [q1, q2]

    assert staff.post(f"/admin/bank-statements/lines/{q1}/assign",
                      json={"account": "nobody@example.com"}).status_code == 422
    r = staff.post(f"/admin/bank-statements/lines/{q1}/assign", json={"account": reference, "note": "phoned"})
    assert r.status_code == 200 and r.json["status"] == "assigned"
    assert balances(brand) == {"brand_wallet": 70_00}
    again = staff.post(f"/admin/bank-statements/lines/{q1}/assign", json={"account": reference})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_decided"

    assert staff.post(f"/admin/bank-statements/lines/{q2}/return", json={"note": ""}).status_code == 422
    r = staff.post(f"/admin/bank-statements/lines/{q2}/return", json={"note": "unknown payer, sent back"})
    assert r.status_code == 200 and r.json["status"] == "returned"
    assert staff.post(f"/admin/bank-statements/lines/{q2}/assign", json={"account": reference}).status_code == 409
    assert staff.get("/admin/bank-statements/unmatched").json == {"items": []}
    assert brand.post(f"/admin/bank-statements/lines/{q2}/return", json={"note": "x"}).status_code == 403
    assert balances(brand) == {"brand_wallet": 70_00}
    with app.app_context():
        balances_by_kind = {b.kind: b.amount for b in ledger.summary()[0]}
        assert balances_by_kind["bank_suspense"] == 0 and balances_by_kind["bank_clearing"] == -70_00
        actions = db.session.execute(select(StaffAction.action, StaffAction.subject_id, StaffAction.affected_user_id,
                                            StaffAction.reason)
                                     .where(StaffAction.action.like("bank_line.%")).order_by(StaffAction.id)).all()
        assert actions == [("bank_line.assign", q1, brand_id, "phoned"),
                           ("bank_line.return", q2, None, "unknown payer, sent back")]


# --- the staff page -------------------------------------------------------------------------------

def test_the_staff_page_imports_and_lists_the_queue(bank, login, make_user, client):
    brand, _id, reference, _staff = bank
    login(make_user("admin"))
    bad = form_post(client, "/admin/bank-statements",
                    {"file": (io.BytesIO(csv_file("2026-12-01,-1.00,CNY,x,B1")), "s.csv"), "bank": "default"},
                    page="/admin/bank-statements", content_type="multipart/form-data")
    assert bad.status_code == 422 and "line 2: amount" in bad.get_data(as_text=True)
    good = form_post(client, "/admin/bank-statements",
                     {"file": (io.BytesIO(csv_file(f"2026-12-01,10.00,CNY,{reference},B1",
                                                   "2026-12-01,3.00,CNY,unknown,B2")), "s.csv"), "bank": "default"},
                     page="/admin/bank-statements", content_type="multipart/form-data", follow_redirects=True)
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and "B2" in html and 'data-testid="queued-' in html
    assert balances(brand) == {"brand_wallet": 10_00}


# --- races ----------------------------------------------------------------------------------------

def post_file(url: str, token: str, data: bytes) -> tuple[int, dict]:
    boundary = "witkey-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_two_staff_importing_one_statement_at_once_credit_it_once(bank, api, make_user, live_server, app):
    brand, _id, reference, staff = bank
    other_staff = api(make_user("admin"))
    data = csv_file(*(f"2026-12-01,{10 + i}.00,CNY,{reference},RACE-{i}" for i in range(20)),
                    "2026-12-01,5.00,CNY,nobody,RACE-X")
    url = f"{live_server.url}/api/v1/admin/bank-statements"
    answers = race(2, lambda i: post_file(url, (staff, other_staff)[i].token, data))
    assert [status for status, _ in answers] == [200, 200], answers
    assert sorted((a["matched"], len(a["unmatched"]), a["duplicates"]) for _, a in answers) == [(0, 0, 21), (20, 1, 0)]
    assert balances(brand) == {"brand_wallet": sum(10 + i for i in range(20)) * 100}
    assert counts(app)[0] == 21


def test_reconciliation_checks_the_suspense_account_against_the_queue(bank, app):
    _brand, _id, reference, staff = bank
    upload(staff, csv_file(f"2026-12-01,10.00,CNY,{reference},R1", "2026-12-01,4.00,CNY,?,R2"))
    result = reconcile(app)
    assert result.ok and result.checked["bank_statements"] == 2, result.differences
    with app.app_context():  # a queued line decided behind the ledger's back is listed
        db.session.execute(update(BankStatementLine).where(BankStatementLine.transaction_key == "R2")
                           .values(status="returned"))
        db.session.commit()
    differences = reconcile(app).differences
    assert [(d["check"], d["detail"], d["actual"]) for d in differences] == [
        ("bank_statements", "suspense_vs_queue", 4_00)]


def test_an_organisation_has_one_reference_for_the_roles_that_read_its_money(app, client, api, make_user):
    members = team(app, client, "brand", ["finance", "procurement"])
    owner_id, owner = members["owner"]
    reference = transfer_references.reference_for(owner_id)
    assert members["finance"][1].get("/wallet/top-up").json["reference"] == reference
    r = members["procurement"][1].get("/wallet/top-up")
    assert r.status_code == 403 and r.json["error"]["code"] == "role_forbidden"
    staff = api(make_user("admin"))
    assert upload(staff, csv_file(f"2026-12-01,15.00,CNY,{reference},ORG-1")).json["matched"] == 1
    assert balances(members["finance"][1]) == balances(owner) == {"brand_wallet": 15_00}
    # a member's own user id is not a wallet: its reference would name no brand organisation
    stray = transfer_references.reference_for(members["finance"][0])
    assert upload(staff, csv_file(f"2026-12-01,1.00,CNY,{stray},ORG-2")).json["unmatched"][0]["reason"] == \
        "unknown_account"


def test_the_sample_statement_in_demo_tops_up_the_demo_brand(app, api, make_user):
    """The statement `flask demo load` writes (demo/bank_statement_sample.csv with the first brand's
    reference filled in) credits that brand twice (its reference written two ways) and queues the line
    without a reference and the one with a mistyped one."""
    loaded = app.test_cli_runner().invoke(args=["demo", "load"])
    assert loaded.exit_code == 0
    written = Path(loaded.output.strip().splitlines()[-1].rsplit(": ", 1)[1])
    with app.app_context():
        first_brand = db.session.scalar(select(User).where(User.email == BRANDS[0][0]))  # the first demo brand
        before = ledger.balance(ledger.wallet(first_brand, "CNY"))
    r = upload(api(make_user("admin")), written.read_bytes())
    assert r.status_code == 200, r.json
    assert r.json["matched"] == 2 and len(r.json["unmatched"]) == 2
    assert {line["reason"] for line in r.json["unmatched"]} >= {"check_digit"}
    with app.app_context():
        assert ledger.balance(ledger.wallet(db.session.get(User, first_brand.id), "CNY")) - before == 50000_00 + 1234_50
