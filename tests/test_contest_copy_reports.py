"""Copy reports on the web: the contest's brand or an entrant reports an entry from the contest page
(naming, if it likes, the entry it was copied from among those it sees); staff compare both entries side
by side in their queue — every file's SHA-256 and upload time, the originals — and uphold (the entry
leaves the contest, a strike on its provider) or dismiss, with a note. Both sides hear the decision."""
import re

from sqlalchemy import select

from extensions import db
from models import ContestEntry, ContestEntryFile, ContestReport, StaffAction, User
from tests.support.web import csrf_token, form_post, signed_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _page(client, path, headers=EN) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _report(client, contest_id, entry_id, reason, original=""):
    path = f"/contests/{contest_id}"
    return client.post(f"{path}/entries/{entry_id}/reports", headers=EN, follow_redirects=True, data={
        "reason": reason, "original_entry_id": original, "csrf_token": csrf_token(client, path)})


def _notices(api_, headers=EN) -> dict:
    return {n["kind"]: n for n in api_.get("/notifications", headers=headers).json["items"]}


def _sha(app, entry_id) -> str:
    with app.app_context():
        return db.session.scalar(select(ContestEntryFile.sha256).where(ContestEntryFile.entry_id == entry_id))


def test_an_entrant_reports_a_copy_and_staff_uphold_it_from_the_queue(app, contest_race, api, make_user):
    race = contest_race(3, blind=False)
    ids = [race.enter(i, colour=(40 * i, 90, 200)) for i in range(3)]
    reporter = signed_in(app, race.provider_ids[0])
    path = f"/contests/{race.contest_id}"
    page = _page(reporter, path)
    # the form on the rivals' entries, never on one's own; "copied from" offers the entries it sees
    assert f'data-testid="report-{ids[1]}"' in page and f'data-testid="report-{ids[2]}"' in page
    assert f'data-testid="report-{ids[0]}"' not in page
    assert f'<option value="{ids[0]}">Entry {ids[0]} (yours)</option>' in page

    short = _report(reporter, race.contest_id, ids[1], "copy")
    assert "10 to 2000 characters" in short.get_data(as_text=True)
    response = _report(reporter, race.contest_id, ids[1], "The same mountain, traced from my entry.", ids[0])
    assert "Platform staff compare the files" in response.get_data(as_text=True)
    again = _report(reporter, race.contest_id, ids[1], "The same mountain, traced from my entry.", ids[0])
    assert "already reported this entry" in again.get_data(as_text=True)
    outsider = signed_in(app, make_user("provider").id)
    r = outsider.post(f"{path}/entries/{ids[1]}/reports", data={
        "reason": "Looks like someone else's work.", "csrf_token": csrf_token(outsider, path)})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(ContestReport.status)) == "open"
        assert len(db.session.scalars(select(ContestReport)).all()) == 1

    # staff's queue: both entries side by side, every file's full SHA-256, its upload time and the original
    with app.app_context():
        staff_user = db.session.scalar(select(User).where(User.role == "admin"))
    staff = signed_in(app, staff_user.id)
    assert 'href="/admin/contest-reports"' in _page(staff, "/admin/accounts")  # in the staff menu
    todo = {item["kind"]: item for item in race.staff.get("/me/todo").json}
    assert todo["copy_reports"]["url"].endswith("/admin/contest-reports")
    queue = _page(staff, "/admin/contest-reports")
    for entry_id in ids[:2]:
        assert f'data-testid="side-{entry_id}"' in queue and _sha(app, entry_id) in queue
    assert "The same mountain, traced from my entry." in queue
    assert "(an entrant)" in queue and "The entry said to be copied was uploaded first." in queue
    assert len(re.findall(r"uploaded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", queue)) == 2  # to the second
    originals = re.findall(r'src="(/contests/\d+/entries/\d+/files/\d+)"', queue)
    assert len(originals) == 2
    for url in originals:
        assert staff.get(url).status_code == 200  # staff see the originals, unmarked
    assert race.providers[2].client.get("/admin/contest-reports").status_code in (302, 403)
    assert "被指抄袭的原作上传在先。" in _page(staff, "/admin/contest-reports", ZH)

    with app.app_context():
        report_id = db.session.scalar(select(ContestReport.id))
    r = form_post(staff, f"/admin/contest-reports/{report_id}/decide",
                  {"decision": "uphold", "note": "Uploaded two minutes after the original, same shapes."},
                  page="/admin/contest-reports", headers=EN, follow_redirects=True)
    assert "the strike is on record" in r.get_data(as_text=True)
    assert "No open copy reports." in _page(staff, "/admin/contest-reports")
    with app.app_context():
        assert db.session.get(ContestEntry, ids[1]).status == "removed"
        strike = db.session.scalar(select(StaffAction).where(StaffAction.action == "contest_entry.remove"))
        assert strike.affected_user_id == race.provider_ids[1]
        assert strike.reason == "Uploaded two minutes after the original, same shapes."
    told = _notices(race.providers[0])["contest_report_upheld"]
    assert told["link"] == path and f"entry {ids[1]}" in told["message"]
    assert told["message"].endswith("Staff's note: Uploaded two minutes after the original, same shapes.")
    removed = _notices(race.providers[1])["contest_entry_removed"]
    assert "removed from the contest" in removed["message"] and removed["link"] == path
    assert "该作品已被移出比稿" in _notices(race.providers[1], ZH)["contest_entry_removed"]["message"]
    assert not {"contest_report_upheld", "contest_entry_removed"} & set(_notices(race.providers[2]))
    # decided once: a second decision changes nothing
    r = form_post(staff, f"/admin/contest-reports/{report_id}/decide", {"decision": "dismiss"},
                  page="/admin/contest-reports", headers=EN, follow_redirects=True)
    assert "already decided" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ContestReport, report_id).status == "upheld"


def test_a_brand_report_dismissed_leaves_the_entry_and_tells_both_sides(app, contest_race, login, client):
    race = contest_race(2)  # blind
    ids = [race.enter(i) for i in range(2)]
    path = f"/contests/{race.contest_id}"
    # an entrant of a blind contest sees only its own entry: nothing to report on the page
    entrant_page = _page(signed_in(app, race.provider_ids[0]), path)
    assert "Report as a copy" not in entrant_page
    with app.app_context():
        login(db.session.get(User, race.brand_id))
    page = _page(client, path)
    assert all(f'data-testid="report-{i}"' in page for i in ids)
    _report(client, race.contest_id, ids[1], "Looks like a stock logo from a template site.")
    with app.app_context():
        report = db.session.scalar(select(ContestReport))
        assert report.original_entry_id is None
        report_id = report.id
        staff = signed_in(app, db.session.scalar(select(User.id).where(User.role == "admin")))
    queue = _page(staff, "/admin/contest-reports")
    assert "the contest" in queue and "s brand)" in queue and "named no entry of this contest" in queue
    bad = form_post(staff, f"/admin/contest-reports/{report_id}/decide", {"decision": "maybe"},
                    page="/admin/contest-reports", headers=EN, follow_redirects=True)
    assert "Decision" in bad.get_data(as_text=True)
    r = form_post(staff, f"/admin/contest-reports/{report_id}/decide", {"decision": "dismiss", "note": ""},
                  page="/admin/contest-reports", headers=EN, follow_redirects=True)
    assert "Report dismissed" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ContestReport, report_id).status == "dismissed"
        assert db.session.get(ContestEntry, ids[1]).status == "active"
        actions = set(db.session.scalars(select(StaffAction.action)))
        assert "contest_report.dismiss" in actions and "contest_entry.remove" not in actions
    assert "stays in the contest" in _notices(race.brand)["contest_report_dismissed"]["message"]
    kept = _notices(race.providers[1])["contest_entry_kept"]["message"]
    assert "stays in the contest" in kept and "Staff's note" not in kept
    assert "contest_entry_kept" not in _notices(race.providers[0])


def test_no_report_once_the_contest_is_decided(app, contest_race, login, client):
    race = contest_race(2, prizes=[50000])
    ids = [race.enter(i) for i in range(2)]
    race.close_entries()
    assert race.brand.post(f"/contests/{race.contest_id}/award", json={"entry_ids": [ids[0]]}).status_code == 200
    r = race.brand.post(f"/contests/{race.contest_id}/entries/{ids[1]}/reports",
                        json={"reason": "A copy of a logo we saw elsewhere."})
    assert r.status_code == 409 and r.json["error"]["code"] == "illegal_transition"
    with app.app_context():
        login(db.session.get(User, race.brand_id))
    assert "Report as a copy" not in _page(client, f"/contests/{race.contest_id}")


def test_one_open_report_per_reporter_and_entry_through_the_api(app, contest_race):
    race = contest_race(2, blind=False)
    ids = [race.enter(i) for i in range(2)]
    path = f"/contests/{race.contest_id}/entries/{ids[1]}/reports"
    body = {"reason": "Traced from my entry, line for line.", "original_entry_id": ids[0]}
    assert race.providers[0].post(path, json=body).status_code == 201
    again = race.providers[0].post(path, json=body)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reported"
    assert race.brand.post(path, json=body).status_code == 201  # another reporter is heard too
    with app.app_context():
        assert len(db.session.scalars(select(ContestReport)).all()) == 2
