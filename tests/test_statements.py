"""Monthly statements: real activity through the API over two months, checked against the ledger.

The activity is dated by rewriting `ledger_postings.created_at` with raw SQL (the ORM refuses to
update postings); payouts are posted directly with the keys and kinds of the payout service.
"""
import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import bindparam, event, text

from blueprints.statement_rows import _text
from extensions import db
from models import Milestone, User
from models.types import UTCDateTime
from services import ledger, statements
from services.statements import Month
from tests.support.web import signed_in

SHANGHAI = "Asia/Shanghai"
OCT, NOV = Month(2026, 10), Month(2026, 11)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def redate(app, key: str, when: datetime) -> None:
    with app.app_context():
        stmt = text("UPDATE ledger_postings SET created_at = :when WHERE key = :key").bindparams(
            bindparam("when", type_=UTCDateTime()))
        assert db.session.execute(stmt, {"when": when, "key": key}).rowcount == 1, key
        db.session.commit()


def payable_sum(app, provider_id: int, month: Month, tz: str = SHANGHAI) -> int:
    """The provider's payable entries in the month, summed independently of the service."""
    start, end = month.bounds(tz)
    stmt = text("""SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e
                   JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_postings p ON p.id = e.posting_id
                   WHERE a.kind = 'provider_payable' AND a.user_id = :user
                   AND p.created_at >= :start AND p.created_at < :end""").bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
    with app.app_context():
        return int(db.session.scalar(stmt, {"user": provider_id, "start": start, "end": end}))


def post_payout(app, provider_id: int, key: str, amount: int, when: datetime) -> None:
    """What the payout service posts: payable → payouts clearing (a negative amount reverses one)."""
    with app.app_context():
        kind = "payout" if amount > 0 else "payout_reversal"
        ledger.post(key, kind, [(ledger.payable(provider_id, "CNY"), -amount),
                                (ledger.clearing("payouts_clearing", "CNY"), amount)], reference=key)
        db.session.commit()
    redate(app, key, when)


browser = signed_in


def statement(app, user_id: int, month: Month, tz: str = SHANGHAI, kind: str = "provider"):
    with app.app_context():
        user = db.session.get(User, user_id)
        found = (statements.provider_statement if kind == "provider" else statements.brand_spend)(
            user, month.year, month.month, tz)
        return {s.currency: s for s in found}


@pytest.fixture
def history(deal, app):
    """Two months of one provider's money (fen; commission 10 %):

    October (Shanghai): release 1,000.00 (−100.00 commission); dispute decided 200.00 to the provider
    (−20.00) and 300.00 back to the brand; a 50.00 correction to the brand (the provider pays 45.00, the
    platform gives back its 5.00 commission on it); a 400.00 payout.
    November: that payout fails and returns (at 2026-10-31T17:00Z, November 1st in Shanghai);
    release 300.00 (−30.00), funded in November; a 300.00 payout.
    """
    d = deal(amounts=(100000, 50000, 30000))
    d.deposit(180000, reference="BANK-STATEMENT-1")
    for i in range(3):
        d.fund(i)
    d.deliver(0)
    d.accept(0)
    d.deliver(1)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[1]}/disputes", json={"reason": "quality"}).json["id"]
    assert d.staff.post(f"/disputes/{dispute}/resolve",
                        json={"provider_amount": 20000, "reason": "Partly usable."}).status_code == 200
    assert d.staff.post(f"/disputes/{dispute}/adjustments",
                        json={"amount": 5000, "direction": "to_brand", "reason": "A missing file."}).status_code == 201
    d.deliver(2)
    d.accept(2)
    d.provider_id = d.provider.get("/me").json["id"]
    m0, m1, m2 = d.milestone_ids
    for key, when in [("deposit:CNY:BANKSTATEMENT1", utc(2026, 10, 1, 1)), (f"fund:milestone:{m0}", utc(2026, 10, 5)),
                      (f"fund:milestone:{m1}", utc(2026, 10, 5)), (f"fund:milestone:{m2}", utc(2026, 11, 2)),
                      (f"release:milestone:{m0}", utc(2026, 10, 10, 4)), (f"release:milestone:{m2}", utc(2026, 11, 3)),
                      (f"resolve:dispute:{dispute}", utc(2026, 10, 20)),
                      (f"adjustment:dispute:{dispute}:1", utc(2026, 10, 25))]:
        redate(app, key, when)
    post_payout(app, d.provider_id, "payout:1", 40000, utc(2026, 10, 28, 2))
    post_payout(app, d.provider_id, "payout-failed:1", -40000, utc(2026, 10, 31, 17))
    post_payout(app, d.provider_id, "payout:2", 30000, utc(2026, 11, 15))
    return d


def test_closing_is_opening_plus_the_months_entries_and_carries_over(history, app):
    october = statement(app, history.provider_id, OCT)["CNY"]
    november = statement(app, history.provider_id, NOV)["CNY"]
    assert october.opening == 0
    assert october.closing - october.opening == payable_sum(app, history.provider_id, OCT) == 63500
    assert november.opening == october.closing
    assert november.closing - november.opening == payable_sum(app, history.provider_id, NOV) == 37000
    for s in (october, november):
        assert s.totals.net == s.closing - s.opening
        assert [line.balance for line in s.lines][-1] == s.closing


def test_category_totals(history, app):
    october = statement(app, history.provider_id, OCT)["CNY"].totals
    assert (october.releases, october.dispute_outcomes, october.commissions) == (100000, 20000, 11500)
    assert (october.adjustments, october.payouts, october.payout_reversals, october.other) == (-5000, -40000, 0, 0)
    november = statement(app, history.provider_id, NOV)["CNY"].totals
    assert (november.releases, november.commissions, november.payouts, november.payout_reversals) == \
        (30000, 3000, -30000, 40000)
    lines = statement(app, history.provider_id, OCT)["CNY"].lines
    assert [(line.kind, line.gross, line.commission, line.net) for line in lines] == [
        ("release", 100000, 10000, 90000), ("resolution", 20000, 2000, 18000), ("adjustment", -5000, -500, -4500),
        ("payout", -40000, 0, -40000)]
    assert lines[0].contract_id == history.contract_id and lines[0].milestone_title == "Milestone 1"


def test_month_boundary_is_in_the_users_time_zone(history, app):
    """2026-10-31T17:00Z is 01:00 on November 1st in Shanghai: the failed payout's return is November's."""
    def reversal_month(tz):
        return [m for m in (OCT, NOV) if any(line.key == "payout-failed:1"
                                             for line in statement(app, history.provider_id, m, tz)["CNY"].lines)]

    assert reversal_month(SHANGHAI) == [NOV]
    assert reversal_month("UTC") == [OCT]
    assert OCT.bounds(SHANGHAI) == (utc(2026, 9, 30, 16), utc(2026, 10, 31, 16))
    with app.app_context():
        provider = db.session.get(User, history.provider_id)
        assert statements.months_with_activity(provider, SHANGHAI) == [NOV, OCT]


def test_brand_spend_by_contract_counts_wallet_and_card_and_only_its_own(history, deal, app):
    other = deal(amounts=(70000,))
    other_brand = other.brand.get("/me").json["id"]
    with app.app_context():  # a card payment posts stripe_clearing → escrow, with no wallet entry
        milestone = db.session.get(Milestone, other.milestone_ids[0])
        ledger.post(f"fund:milestone:{milestone.id}", "fund", [(ledger.clearing("stripe_clearing", "CNY"), -70000),
                                                               (ledger.escrow(milestone), 70000)],
                    milestone_id=milestone.id)
        db.session.commit()
    redate(app, f"fund:milestone:{other.milestone_ids[0]}", utc(2026, 10, 9))

    mine = statement(app, history.brand_id, OCT, kind="brand")["CNY"]
    assert [(c.contract_id, c.funded, c.returned, c.net) for c in mine.contracts] == \
        [(history.contract_id, 150000, 35000, 115000)]  # 300.00 decided back + 50.00 corrected back
    assert statement(app, history.brand_id, NOV, kind="brand")["CNY"].net == 30000
    theirs = statement(app, other_brand, OCT, kind="brand")["CNY"]
    assert [(c.contract_id, c.net) for c in theirs.contracts] == [(other.contract_id, 70000)]

    html = browser(app, history.brand_id).get("/statements?month=2026-10").get_data(as_text=True)
    assert f'data-testid="contract-{history.contract_id}"' in html
    assert f'data-testid="contract-{other.contract_id}"' not in html
    assert 'data-testid="net-spend-CNY">¥1,150.00<' in html


def test_provider_page_and_brand_page_show_their_own_view(history, app, login, make_user):
    html = browser(app, history.provider_id).get("/statements?month=2026-10").get_data(as_text=True)
    assert 'data-testid="statement-CNY"' in html and 'data-testid="spend-' not in html
    assert 'data-testid="closing-CNY">¥635.00<' in html and "payout:1" in html
    assert "?month=2026-11" in html  # months with activity, for navigation
    html = browser(app, history.brand_id).get("/statements?month=2026-10").get_data(as_text=True)
    assert 'data-testid="spend-CNY"' in html and 'data-testid="statement-' not in html
    assert "payout:1" not in html
    assert login(make_user("admin")).get("/statements").status_code == 403
    assert app.test_client().get("/statements").status_code == 302  # to the login page


NET, BALANCE, CURRENCY = 6, 7, 8  # columns of the provider CSV (headers are translated)


def test_csv_download(history, app):
    response = browser(app, history.provider_id).get("/statements/2026-11.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="witkey-statement-2026-11.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    opening, *lines, closing = rows
    assert len(header) == len(opening) == 10 and all(row[CURRENCY] == "CNY" for row in rows)
    assert (opening[BALANCE], closing[BALANCE]) == ("635.00", "1005.00")
    assert sum(Decimal(row[NET]) for row in lines) == Decimal(closing[BALANCE]) - Decimal(opening[BALANCE]) \
        == Decimal(payable_sum(app, history.provider_id, NOV)).scaleb(-2)
    assert lines[0][0] == "2026-11-01 01:00:00" and lines[0][NET] == "400.00"  # the returned payout, local time


def test_brand_csv_and_printable_page(history, app):
    client = browser(app, history.brand_id)
    response = client.get("/statements/2026-10.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="witkey-spend-2026-10.csv"'
    header, row, total = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert row[2:] == ["1500.00", "350.00", "1150.00", "CNY"] and total[2:] == row[2:]
    printable = client.get("/statements?month=2026-10&print=1").get_data(as_text=True)
    assert 'href="/static/print.css"' in printable and 'data-testid="spend-CNY"' in printable
    assert "@media print" in client.get("/static/print.css").get_data(as_text=True)
    assert "/logout" not in printable  # no site navigation on paper


def _pdf_text(data: bytes) -> str:
    """pypdf's text of the PDF without whitespace and NULs (see tests/test_contract_documents.py)."""
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text() for page in reader.pages).replace("\x00", "").split())


def test_pdf_statements_carry_the_csv_rows(history, app):
    response = browser(app, history.provider_id).get("/statements/2026-11.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="witkey-statement-2026-11.pdf"'
    text = _pdf_text(response.data)
    assert "635.00" in text and "1005.00" in text and "payout:2" in text  # opening, closing, a voucher
    spend = browser(app, history.brand_id).get("/statements/2026-10.pdf")
    assert spend.headers["Content-Disposition"] == 'attachment; filename="witkey-spend-2026-10.pdf"'
    assert "1500.00" in _pdf_text(spend.data) and "1150.00" in _pdf_text(spend.data)
    assert browser(app, history.provider_id).get("/statements/2026-13.pdf").status_code == 400


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "abc", "2026-10-01", "0000-01", "２０２６-10"])
def test_a_bad_month_is_a_clear_400(month, login, make_user):
    client = login(make_user("provider"))
    for path in (f"/statements?month={month}", f"/statements/{month}.csv"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "YYYY-MM" in response.get_data(as_text=True)


def test_default_month_and_navigation(login, make_user):
    with time_machine.travel(utc(2026, 10, 31, 17), tick=False):  # already November in Shanghai
        client = login(make_user("provider"))
        html = client.get("/statements").get_data(as_text=True)
        other = client.get("/statements?month=2025-01").get_data(as_text=True)  # the login's cookie still lives
    assert "2026年11月" in html and "?month=2026-10" in html and "?month=2026-12" not in html
    assert 'data-testid="empty"' in html
    html = other
    assert "?month=2024-12" in html and "?month=2025-02" in html


def test_a_busy_month_is_a_few_queries(app, make_user):
    """Lines cost no extra queries: 1,000 lines take as many as 3."""
    provider = make_user("provider")

    def post_lines(n, start):
        with app.app_context(), time_machine.travel(utc(2026, 10, 15), tick=False):
            source = ledger.clearing("bank_clearing", "CNY")
            for i in range(start, start + n):
                ledger.post(f"release:test:{i}", "release", [(source, -1000), (ledger.revenue("CNY"), 100),
                                                            (ledger.payable(provider.id, "CNY"), 900)])
            db.session.commit()

    def queries():
        seen = []
        with app.app_context():
            listen = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listen)
            try:
                found = statements.provider_statement(provider, 2026, 10, SHANGHAI)
            finally:
                event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen), found[0]

    post_lines(3, 0)
    few, small = queries()
    post_lines(997, 3)
    many, big = queries()
    assert few == many <= 3
    assert len(big.lines) == 1000 and big.totals.commissions == 100 * 1000 and big.closing == 900 * 1000


def test_csv_text_cells_never_run_as_formulas():
    assert [_text(v) for v in ("=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "设计", None)] == \
        ["'=HYPERLINK(\"x\")", "'+1", "'@SUM(A1)", "设计", ""]
