"""A contest's prize escrow in the books: the daily reconciliation checks it holds the whole prize while
the contest is undecided and nothing after (a stray entry or a status moved without its posting is
listed, never fixed), and the finance overview counts it as money in escrow, funded and released."""
from sqlalchemy import select, text

from extensions import db
from models import Contest, LedgerAccount, LedgerPosting
from services import contests, finance
from tests.support.ledger import reconcile


def _three_contests(contest_race):
    """One open, one awarded by the brand, one cancelled before any entry (CNY 3,000 + 1,000 prizes)."""
    open_race = contest_race(1)
    open_race.enter(0)
    awarded = contest_race(2)
    ids = [awarded.enter(i) for i in range(2)]
    awarded.close_entries()
    r = awarded.brand.post(f"/contests/{awarded.contest_id}/award", json={"entry_ids": ids})
    assert r.status_code == 200, r.json
    cancelled = contest_race(1)
    assert cancelled.brand.post(f"/contests/{cancelled.contest_id}/cancel").status_code == 200
    return open_race, awarded, cancelled


def test_contests_funded_awarded_and_cancelled_reconcile(app, contest_race):
    open_race, _awarded, _cancelled = _three_contests(contest_race)
    result = reconcile(app)
    assert result.ok and result.differences == []
    assert result.checked["contest_escrow"] == 3
    with app.app_context():
        totals = finance.overview("Asia/Shanghai").totals["CNY"]
        prize = db.session.get(Contest, open_race.contest_id).prize_total
        assert totals["escrow"] == prize  # only the open contest's prize is still held
        daily = finance.overview("Asia/Shanghai").daily.rows("CNY")[-1][1]
        assert daily["funded"] == 3 * prize  # three contests published today
        assert daily["released"] == prize  # the award: to the winners and the platform's commission


def test_a_stray_entry_and_a_status_moved_without_its_posting_are_listed(app, contest_race):
    open_race, awarded, _cancelled = _three_contests(contest_race)
    with app.app_context():
        # 1. an entry slipped onto the awarded contest's escrow, past the ledger's rules
        key = f"contest_escrow:contest:{awarded.contest_id}:CNY"
        account = db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.key == key))
        posting = db.session.scalar(select(LedgerPosting.id).where(
            LedgerPosting.key == contests.award_key(awarded.contest_id)))
        db.session.execute(text("INSERT INTO ledger_entries (posting_id, account_id, amount, currency) "
                                "VALUES (:p, :a, 555, 'CNY')"), {"p": posting, "a": account})
        # 2. the open contest marked cancelled with no refund posting
        db.session.execute(text("UPDATE contests SET status = 'cancelled' WHERE id = :id"),
                           {"id": open_race.contest_id})
        db.session.commit()
        prize = db.session.get(Contest, open_race.contest_id).prize_total

    result = reconcile(app)
    assert not result.ok
    found = {(x["subject"], x["detail"], x["expected"], x["actual"]) for x in result.of("contest_escrow")}
    assert found == {
        (f"contest:{awarded.contest_id}", "contest_vs_postings", 0, 555),
        (f"contest:{awarded.contest_id}", "contest_vs_status", 0, 555),
        (f"contest:{open_race.contest_id}", "contest_vs_status", 0, prize),  # its postings still agree
    }
