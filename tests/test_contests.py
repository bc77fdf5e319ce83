"""Contests (比稿) through the API: publishing funds the whole prize into escrow; entries close at the
deadline; the brand sees watermarked previews, entrants see nothing of rivals in a blind contest;
award, the worker's split and cancel each move the prize once, in one balanced posting."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Contest, ContestAward, ContestEntryFile, LedgerEntry, LedgerPosting, StaffAction
from services import ledger
from tests.support.contests import contest_payload, image_part
from tests.support.ledger import balances
from workers import jobs


def _posting(app, key):
    with app.app_context():
        posting = db.session.scalar(select(LedgerPosting).where(LedgerPosting.key == key))
        if posting is None:
            return None
        return {e.account.key.split(":")[0] + (":" + e.account.key.split(":")[2] if e.account.user_id else ""):
                e.amount for e in posting.entries} | {"_sum": sum(e.amount for e in posting.entries)}


def _sweep(app) -> dict:
    """One run of the periodic job, as the worker runs it."""
    with app.app_context():
        return jobs.award_due_contests()


def _count(app, key_prefix):
    with app.app_context():
        return len(db.session.scalars(select(LedgerPosting.key).where(LedgerPosting.key.startswith(key_prefix))).all())


# --- publishing --------------------------------------------------------------------------------------

def test_publishing_moves_the_whole_prize_from_the_wallet_into_escrow(app, contest_race):
    race = contest_race(fund=500000)
    contest = race.brand.get(f"/contests/{race.contest_id}").json
    assert contest["status"] == "open" and contest["prize_total"] == 400000 and contest["blind"] is True
    assert contest["guaranteed"] is True and contest["entry_count"] == 0
    assert [p["amount"] for p in contest["prizes"]] == [300000, 100000]
    # selection deadline defaults to a week after entries close
    entry = datetime.fromisoformat(contest["entry_deadline"])
    assert datetime.fromisoformat(contest["selection_deadline"]) - entry == timedelta(days=7)
    assert balances(race.brand)["brand_wallet"] == 100000
    posting = _posting(app, f"prize:contest:{race.contest_id}:fund")
    assert posting["_sum"] == 0 and posting["contest_escrow"] == 400000
    with app.app_context():
        assert ledger.unbalanced_postings() == []


@pytest.fixture
def funded_brand(app, api, make_user):
    brand_user = make_user("brand")
    brand, staff = api(brand_user), api(make_user("admin"))

    def deposit(amount):
        assert staff.post("/admin/deposits", json={"user_id": brand_user.id, "amount": amount, "currency": "CNY",
                                                   "reference": f"BANK-C-{amount}"}).status_code == 201
    return brand, deposit


def test_publishing_without_the_money_is_409_and_creates_nothing(app, funded_brand):
    brand, deposit = funded_brand
    deposit(100000)
    r = brand.post("/contests", json=contest_payload(prizes=[300000]))
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_funds"
    assert balances(brand)["brand_wallet"] == 100000
    assert _count(app, "prize:contest:") == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contest)) == 0  # nothing created


@pytest.mark.parametrize(("field", "value"), [
    ("category", "customer_service"), ("prizes", []), ("prizes", [100, 200]), ("prizes", [0]),
    ("entry_deadline", "an hour ago"), ("selection_days", 0),
    ("title", "x"), ("brief", "short"), ("min_stars", 9),
])
def test_bad_contest_input_is_refused_with_the_field_named(app, funded_brand, field, value):
    brand, deposit = funded_brand
    deposit(1000000)
    if value == "an hour ago":
        value = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = brand.post("/contests", json=contest_payload(**{field: value}))
    assert r.status_code in (400, 422), r.json
    assert field in {name.split(".")[0] for name in r.json["error"].get("fields", {})}, r.json
    assert balances(brand)["brand_wallet"] == 1000000


def test_only_brands_publish(app, api, make_user):
    provider = api(make_user("provider"))
    assert provider.post("/contests", json=contest_payload()).status_code == 403


# --- entries and visibility --------------------------------------------------------------------------

def test_entries_are_timestamped_with_their_hashes_and_close_at_the_deadline(app, contest_race):
    race = contest_race(2)
    entry_id = race.enter(0)
    mine = race.providers[0].get(f"/contests/{race.contest_id}/entries").json["items"]
    assert [e["id"] for e in mine] == [entry_id]
    f = mine[0]["files"][0]
    assert len(f["sha256"]) == 64 and f["uploaded_at"] and f["url"]  # the entrant has its original
    r = race.providers[0].patch(f"/contests/{race.contest_id}/entries/{entry_id}",
                                data={"note": "v2", "file": image_part((10, 200, 10))},
                                content_type="multipart/form-data")
    assert r.status_code == 200, r.json
    files = race.providers[0].get(f"/contests/{race.contest_id}/entries").json["items"][0]["files"]
    assert [x["version"] for x in files] == [1, 2] and files[0]["sha256"] != files[1]["sha256"]
    race.close_entries()
    assert race.brand.get(f"/contests/{race.contest_id}").json["status"] == "selecting"
    r = race.providers[1].post(f"/contests/{race.contest_id}/entries", data={"note": "late", "file": image_part()},
                               content_type="multipart/form-data")
    assert r.status_code == 409 and r.json["error"]["code"] == "contest_not_open"
    r = race.providers[0].post(f"/contests/{race.contest_id}/entries/{entry_id}/withdraw")
    assert r.status_code == 409


def test_an_entry_must_be_an_image(app, contest_race):
    race = contest_race(1)
    r = race.providers[0].post(f"/contests/{race.contest_id}/entries",
                               data={"note": "pdf", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")},
                               content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.json["error"]["fields"]
    assert race.brand.get(f"/contests/{race.contest_id}").json["entry_count"] == 0


def test_blind_contest_brand_sees_previews_only_and_rivals_see_nothing(app, contest_race, api, make_user):
    race = contest_race(3)
    ids = [race.enter(i, colour=(40 * i, 90, 160)) for i in range(3)]
    race.derive_images()
    brand_view = race.brand.get(f"/contests/{race.contest_id}/entries").json
    assert brand_view["total"] == 3
    for item in brand_view["items"]:
        f = item["files"][0]
        assert f["url"] is None and f["preview_url"] and f["thumbnail_url"]
        assert race.brand.get(f["preview_url"][len("/api/v1"):]).status_code == 200
        original = f"/contests/{race.contest_id}/entries/{item['id']}/files/{f['id']}"
        assert race.brand.get(original).status_code == 403
    # an entrant: its own only, and nothing of the others through any URL
    own = race.providers[0].get(f"/contests/{race.contest_id}/entries").json["items"]
    assert [e["id"] for e in own] == [ids[0]]
    with app.app_context():
        rival_file = db.session.scalar(select(ContestEntryFile.id).where(ContestEntryFile.entry_id == ids[1]))
    for suffix in ("", "/thumb", "/view"):
        assert race.providers[0].get(
            f"/contests/{race.contest_id}/entries/{ids[1]}/files/{rival_file}{suffix}").status_code == 404
    # another brand and the public: counts only
    assert api(make_user("brand")).get(f"/contests/{race.contest_id}/entries").status_code == 403
    public = api().get(f"/contests/{race.contest_id}").json
    assert public["entry_count"] == 3 and "entries" not in public


def test_an_open_contest_shows_rivals_entries_as_previews(app, contest_race):
    race = contest_race(2, blind=False)
    ids = [race.enter(i) for i in range(2)]
    seen = race.providers[0].get(f"/contests/{race.contest_id}/entries").json["items"]
    assert sorted(e["id"] for e in seen) == sorted(ids)
    rival = next(e for e in seen if e["id"] == ids[1])
    assert rival["files"][0]["url"] is None  # a preview, never the rival's original


def test_rating_and_feedback_are_private_to_the_brand_and_the_entrant(app, contest_race):
    race = contest_race(2, blind=False)
    ids = [race.enter(i) for i in range(2)]
    r = race.brand.post(f"/contests/{race.contest_id}/entries/{ids[0]}/rating",
                        json={"rating": 4, "feedback": "Warmer green please"})
    assert r.status_code == 200, r.json
    assert race.brand.post(f"/contests/{race.contest_id}/entries/{ids[0]}/rating",
                           json={"rating": 6}).status_code == 422
    own = {e["id"]: e for e in race.providers[0].get(f"/contests/{race.contest_id}/entries").json["items"]}
    assert own[ids[0]]["rating"] == 4 and own[ids[0]]["feedback"] == "Warmer green please"
    rival = {e["id"]: e for e in race.providers[1].get(f"/contests/{race.contest_id}/entries").json["items"]}
    assert rival[ids[0]]["rating"] is None and rival[ids[0]]["feedback"] is None
    # only the contest's brand rates: an entrant is refused
    assert race.providers[0].post(f"/contests/{race.contest_id}/entries/{ids[0]}/rating",
                                  json={"rating": 5}).status_code == 403


def test_another_brand_cannot_judge_or_award(app, contest_race, api, make_user):
    race = contest_race(1)
    entry = race.enter(0)
    race.close_entries()
    other = api(make_user("brand"))
    for path, body in (("shortlist", {"entry_ids": [entry]}), ("award", {"entry_ids": [entry, entry]}),
                       ("cancel", None)):
        assert other.post(f"/contests/{race.contest_id}/{path}", json=body).status_code == 404


# --- award, split, cancel ------------------------------------------------------------------------------

def test_award_pays_each_winner_its_prize_minus_commission_in_one_posting(app, contest_race):
    race = contest_race(3)
    ids = [race.enter(i) for i in range(3)]
    assert race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": ids[:2]}).status_code == 409
    race.close_entries()
    assert race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": ids[:1]}).status_code == 422
    assert race.brand.post(f"/contests/{race.contest_id}/award",
                           json={"entry_ids": [ids[0], ids[0]]}).status_code == 422
    r = race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[1], ids[0]]})
    assert r.status_code == 200 and r.json["status"] == "awarded"
    posting = _posting(app, f"prize:contest:{race.contest_id}:award")
    assert posting["_sum"] == 0
    assert posting["contest_escrow"] == -400000
    assert posting[f"provider_payable:{race.provider_ids[1]}"] == 300000 - 30000  # 10 % commission
    assert posting[f"provider_payable:{race.provider_ids[0]}"] == 100000 - 10000
    assert posting["platform_revenue"] == 40000
    again = race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[1], ids[0]]})
    assert again.status_code == 409
    assert race.brand.post(f"/contests/{race.contest_id}/cancel").status_code == 409
    _sweep(app)
    assert _count(app, f"prize:contest:{race.contest_id}:") == 2  # fund + award, nothing else
    contest = race.brand.get(f"/contests/{race.contest_id}").json
    assert [(a["entry_id"], a["amount"], a["commission"]) for a in contest["awards"]] == [
        (ids[1], 300000, 30000), (ids[0], 100000, 10000)]
    # the brand now gets the winners' originals, not the loser's
    items = {e["id"]: e for e in race.brand.get(f"/contests/{race.contest_id}/entries").json["items"]}
    assert items[ids[0]]["files"][0]["url"] and items[ids[2]]["files"][0]["url"] is None
    winner = race.brand.get(items[ids[0]]["files"][0]["url"][len("/api/v1"):])
    assert winner.status_code == 200 and winner.data[:8] == b"\x89PNG\r\n\x1a\n"  # the stored original
    loser = items[ids[2]]["files"][0]
    assert race.brand.get(f"/contests/{race.contest_id}/entries/{ids[2]}/files/{loser['id']}").status_code == 403
    with app.app_context():
        assert ledger.unbalanced_postings() == []


def test_the_worker_splits_the_prize_among_the_finalists_when_the_brand_misses_the_deadline(app, contest_race):
    race = contest_race(3, prizes=[100001])
    ids = [race.enter(i) for i in range(3)]
    assert race.brand.post(f"/contests/{race.contest_id}/shortlist", json={"entry_ids": [ids[2], ids[0]]}).json[
        "status"] == "open"
    race.close_entries()
    assert _sweep(app)["decided"] == {}  # the brand still has its week
    race.pass_selection()
    assert _sweep(app)["decided"] == {race.contest_id: "split"}
    contest = race.brand.get(f"/contests/{race.contest_id}").json
    assert contest["status"] == "awarded" and contest["auto_awarded"] is True
    # equal shares in minor units, the remainder to the first finalist (the earlier entry)
    assert [(a["entry_id"], a["amount"]) for a in contest["awards"]] == [(ids[0], 50001), (ids[2], 50000)]
    posting = _posting(app, f"prize:contest:{race.contest_id}:award")
    assert posting["_sum"] == 0 and posting["contest_escrow"] == -100001
    assert f"provider_payable:{race.provider_ids[1]}" not in posting
    assert _sweep(app)["decided"] == {}
    assert race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[1]]}).status_code == 409
    assert balances(race.brand)["brand_wallet"] == 0  # never back to the brand


def test_without_a_shortlist_the_highest_rated_entries_share(app, contest_race):
    race = contest_race(3, prizes=[90000])
    ids = [race.enter(i) for i in range(3)]
    for entry_id, stars in zip(ids, (3, 5, 5), strict=True):
        race.brand.post(f"/contests/{race.contest_id}/entries/{entry_id}/rating", json={"rating": stars})
    race.pass_selection()
    _sweep(app)
    awards = race.brand.get(f"/contests/{race.contest_id}").json["awards"]
    assert sorted((a["entry_id"], a["amount"]) for a in awards) == sorted([(ids[1], 45000), (ids[2], 45000)])


def test_an_unrated_contest_without_shortlist_is_split_among_all_its_entries(app, contest_race):
    race = contest_race(2, prizes=[100000])
    ids = [race.enter(i) for i in range(2)]
    race.providers[1].post(f"/contests/{race.contest_id}/entries/{ids[1]}/withdraw")
    race.pass_selection()
    _sweep(app)
    awards = race.brand.get(f"/contests/{race.contest_id}").json["awards"]
    assert [(a["entry_id"], a["amount"]) for a in awards] == [(ids[0], 100000)]


def test_cancel_refunds_in_full_only_without_entries(app, contest_race):
    race = contest_race(1)
    r = race.brand.post(f"/contests/{race.contest_id}/cancel")
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert balances(race.brand)["brand_wallet"] == 400000
    posting = _posting(app, f"prize:contest:{race.contest_id}:cancel")
    assert posting["_sum"] == 0 and posting["contest_escrow"] == -400000
    assert race.brand.post(f"/contests/{race.contest_id}/cancel").status_code == 409
    race2 = contest_race(1)
    race2.enter(0)
    r = race2.brand.post(f"/contests/{race2.contest_id}/cancel")
    assert r.status_code == 409 and r.json["error"]["code"] == "contest_has_entries"
    assert _count(app, f"prize:contest:{race2.contest_id}:cancel") == 0


def test_a_contest_nobody_entered_is_refunded_after_the_selection_deadline(app, contest_race):
    race = contest_race(0)
    race.pass_selection()
    assert _sweep(app)["decided"] == {race.contest_id: "refunded"}
    assert balances(race.brand)["brand_wallet"] == 400000


def test_staff_cancel_for_a_rule_breach_refunds_and_is_audited(app, contest_race):
    race = contest_race(1)
    race.enter(0)
    assert race.staff.post(f"/admin/contests/{race.contest_id}/cancel", json={"reason": "x"}).status_code == 422
    r = race.staff.post(f"/admin/contests/{race.contest_id}/cancel",
                        json={"reason": "The brief asks for a copy of a registered trademark."})
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert balances(race.brand)["brand_wallet"] == 400000
    assert race.brand.post(f"/admin/contests/{race.contest_id}/cancel", json={"reason": "nope nope"}).status_code == 403
    with app.app_context():
        entry = db.session.scalar(select(StaffAction).where(StaffAction.action == "contest.cancel"))
        assert entry.subject_id == race.contest_id and entry.affected_user_id == race.brand_id
        assert entry.after["refund"] == 400000


def test_the_award_honours_an_idempotency_key(app, contest_race):
    race = contest_race(2, prizes=[50000])
    ids = [race.enter(i) for i in range(2)]
    race.close_entries()
    first = race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[0]]},
                            headers={"Idempotency-Key": "award-1"})
    again = race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[0]]},
                            headers={"Idempotency-Key": "award-1"})
    assert first.status_code == again.status_code == 200 and first.json == again.json
    with app.app_context():
        assert db.session.scalar(select(LedgerEntry.id).join(LedgerPosting).where(
            LedgerPosting.key == f"prize:contest:{race.contest_id}:award")) is not None
    assert _count(app, f"prize:contest:{race.contest_id}:award") == 1


# --- copies ----------------------------------------------------------------------------------------------

def test_a_copy_report_upheld_by_staff_removes_the_entry_with_a_strike(app, contest_race, api, make_user):
    race = contest_race(3, prizes=[60000])
    ids = [race.enter(i) for i in range(3)]
    race.brand.post(f"/contests/{race.contest_id}/shortlist", json={"entry_ids": [ids[0], ids[1]]})
    path = f"/contests/{race.contest_id}/entries/{ids[1]}/reports"
    assert api(make_user("provider")).post(path, json={"reason": "A copy of entry one's mountain."}).status_code == 404
    assert race.providers[1].post(path, json={"reason": "Reporting myself here."}).status_code == 409
    assert race.providers[0].post(path, json={"reason": "short"}).status_code == 422
    r = race.providers[0].post(path, json={"reason": "Same mountain, traced from my entry.",
                                           "original_entry_id": ids[0]})
    assert r.status_code == 201 and r.json["status"] == "open"
    report_id = r.json["id"]
    assert race.brand.post(f"/admin/contest-reports/{report_id}/decide", json={"uphold": True}).status_code == 403
    r = race.staff.post(f"/admin/contest-reports/{report_id}/decide",
                        json={"uphold": True, "note": "Uploaded 2 minutes after the original, same shapes."})
    assert r.status_code == 200 and r.json["status"] == "upheld"
    assert race.staff.post(f"/admin/contest-reports/{report_id}/decide", json={"uphold": False}).status_code == 409
    contest = race.brand.get(f"/contests/{race.contest_id}").json
    assert contest["entry_count"] == 2 and contest["shortlisted_count"] == 1
    assert ids[1] not in [e["id"] for e in race.brand.get(f"/contests/{race.contest_id}/entries").json["items"]]
    with app.app_context():
        strike = db.session.scalar(select(StaffAction).where(StaffAction.action == "contest_entry.remove"))
        assert strike.subject_id == ids[1] and strike.affected_user_id == race.provider_ids[1]
    # the removed entry never shares the prize
    race.pass_selection()
    _sweep(app)
    awards = race.brand.get(f"/contests/{race.contest_id}").json["awards"]
    assert [(a["entry_id"], a["amount"]) for a in awards] == [(ids[0], 60000)]


def test_a_dismissed_report_changes_nothing_but_the_record(app, contest_race):
    race = contest_race(2)
    ids = [race.enter(i) for i in range(2)]
    r = race.brand.post(f"/contests/{race.contest_id}/entries/{ids[1]}/reports",
                        json={"reason": "Looks like a stock logo from a template site."})
    r = race.staff.post(f"/admin/contest-reports/{r.json['id']}/decide", json={"uphold": False})
    assert r.status_code == 200 and r.json["status"] == "dismissed"
    assert race.brand.get(f"/contests/{race.contest_id}").json["entry_count"] == 2


# --- handover ----------------------------------------------------------------------------------------------

def test_the_winner_hands_over_the_sources_and_the_brand_confirms(app, contest_race, api, make_user):
    race = contest_race(2, prizes=[80000])
    ids = [race.enter(i) for i in range(2)]
    race.close_entries()
    race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[1]]})
    award = race.brand.get(f"/contests/{race.contest_id}").json["awards"][0]
    assert award["handover_state"] == "pending" and award["handover_files"] == []
    base = f"/contests/{race.contest_id}/awards/{award['id']}"
    assert race.brand.post(f"{base}/confirm").status_code == 409  # nothing handed over yet
    loser = race.providers[0].post(f"{base}/handover", content_type="multipart/form-data",
                                   data={"file": image_part(name="source.png")})
    assert loser.status_code == 404
    r = race.providers[1].post(f"{base}/handover", content_type="multipart/form-data",
                               data={"file": [image_part(name="logo-4000.png"), image_part((1, 2, 3), "mark.png")]})
    assert r.status_code == 200 and r.json["handover_state"] == "delivered" and len(r.json["handover_files"]) == 2
    url = r.json["handover_files"][0]["url"][len("/api/v1"):]
    assert race.brand.get(url).status_code == 200
    assert race.providers[0].get(url).status_code == 404
    assert api(make_user("brand")).get(url).status_code == 404
    assert api().get(f"/contests/{race.contest_id}").json["awards"][0]["handover_files"] is None
    r = race.brand.post(f"{base}/confirm")
    assert r.status_code == 200 and r.json["handover_state"] == "confirmed" and r.json["handover_auto"] is False
    assert race.brand.post(f"{base}/confirm").status_code == 409


def test_an_unconfirmed_handover_confirms_itself_after_the_handover_days(app, contest_race):
    race = contest_race(1, prizes=[80000], handover_days=3)
    entry = race.enter(0)
    race.close_entries()
    race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [entry]})
    award_id = race.brand.get(f"/contests/{race.contest_id}").json["awards"][0]["id"]
    race.providers[0].post(f"/contests/{race.contest_id}/awards/{award_id}/handover",
                           content_type="multipart/form-data", data={"file": image_part()})
    assert _sweep(app)["handovers_confirmed"] == 0
    with app.app_context():
        award = db.session.get(ContestAward, award_id)
        award.handover_delivered_at = datetime.now(UTC) - timedelta(days=3, minutes=1)
        db.session.commit()
    assert _sweep(app)["handovers_confirmed"] == 1
    award = race.brand.get(f"/contests/{race.contest_id}").json["awards"][0]
    assert award["handover_state"] == "confirmed" and award["handover_auto"] is True
    assert _sweep(app)["handovers_confirmed"] == 0
