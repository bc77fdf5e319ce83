"""Reporting reviews and staff's decisions on them, through the API and the pages: one report per
reader, hide or keep with a reason on record, who is told what, the grouped and paged queue, and
messages shown next to the form that was sent."""
from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError

from blueprints.links import notification_link
from extensions import db
from i18n import datetime_local
from models import Notification, Review, ReviewReport, User
from tests.support.web import form_post, switch
from texts.notifications import render

SCORES = {"quality": 5, "communication": 4, "timeliness": 4, "professionalism": 5}
STARS = dict.fromkeys(SCORES, "4")
EN = {"Accept-Language": "en"}


@pytest.fixture
def reviewed(track_record, app):
    """A completed contract reviewed by both sides: (provider Api, brand Api, contract id, the brand's
    review id, {"provider": User, "brand": User})."""
    provider, provider_id, [(brand, contract)] = track_record(1)
    review = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Rude!!"}).json["id"]
    assert provider.post(f"/contracts/{contract}/reviews", json={"scores": SCORES}).status_code == 201
    with app.app_context():
        brand_id = brand.get("/me").json["id"]
        users = {"provider": db.session.get(User, provider_id), "brand": db.session.get(User, brand_id)}
        for user in users.values():
            db.session.expunge(user)
    return provider, brand, contract, review, users


def notes(app, user_id: int) -> dict[str, dict]:
    with app.test_request_context():
        return {n.kind: {**n.params, "link": notification_link(n)} for n in db.session.scalars(
            db.select(Notification).where(Notification.user_id == user_id))}


def test_one_report_per_reader_and_anyone_may_report_a_published_review(reviewed, api, make_user, app):
    provider, brand, contract, review, _ = reviewed
    outsider = api(make_user("brand"))  # not a party: the review is public, so it may be reported
    assert outsider.post(f"/reviews/{review}/reports", json={"reason": "Insulting"}).status_code == 201
    again = outsider.post(f"/reviews/{review}/reports", json={"reason": "Still insulting"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reported"
    assert provider.post(f"/reviews/{review}/reports", json={"reason": "Insulting"}).status_code == 201
    with app.app_context():  # the database refuses a twin too (two requests racing past the check)
        first = db.session.scalars(db.select(ReviewReport).order_by(ReviewReport.id)).first()
        db.session.add(ReviewReport(review_id=review, reporter_id=first.reporter_id, reason="twin"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_an_unpublished_review_is_not_there_for_outsiders_and_not_reportable_by_its_author(
        track_record, api, make_user, client, login):
    _, _, [(brand, contract)] = track_record(1)
    review = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES}).json["id"]  # blind for now
    assert api(make_user("provider")).post(f"/reviews/{review}/reports", json={"reason": "abc"}).status_code == 404
    login(make_user("brand"))  # a form the page would refuse does not say whose contract the review is on
    assert form_post(client, f"/reviews/{review}/report", {"reason": ""}, page="/providers").status_code == 404
    assert brand.post(f"/reviews/{review}/reports", json={"reason": "Mine, but rude"}).status_code == 403


def test_hiding_a_review_not_yet_out_tells_its_author_only(track_record, api, make_user, app):
    provider, provider_id, [(brand, contract)] = track_record(1)
    review = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Awful"}).json["id"]
    assert api(make_user("admin")).post(f"/admin/reviews/{review}/hide", json={"reason": "Quotes: Awful"}) \
        .status_code == 200
    assert "review_hidden" in notes(app, brand.get("/me").json["id"])
    assert "review_of_you_hidden" not in notes(app, provider_id)  # it was blind: the reason could quote it


def test_staff_keep_a_reported_review_with_a_reason_and_reporters_are_told(reviewed, api, make_user, app):
    provider, brand, contract, review, users = reviewed
    outsider_user = make_user("brand")
    outsider = api(outsider_user)
    outsider.post(f"/reviews/{review}/reports", json={"reason": "Insulting"})
    provider.post(f"/reviews/{review}/reports", json={"reason": "Untrue"})
    staff_user = make_user("admin")
    staff = api(staff_user)
    assert brand.post(f"/admin/reviews/{review}/keep", json={"reason": "Fair criticism"}).status_code == 403
    assert staff.post(f"/admin/reviews/{review}/keep", json={"reason": "x"}).status_code == 422
    r = staff.post(f"/admin/reviews/{review}/keep", json={"reason": "Fair criticism"})
    assert r.status_code == 200 and r.json["hidden"] is False
    with app.app_context():
        rows = db.session.scalars(db.select(ReviewReport)).all()
        assert {(x.outcome, x.handled_by_id, x.handled_reason) for x in rows} == {
            ("kept", staff_user.id, "Fair criticism")}
        assert all(x.handled_at is not None for x in rows)
    kept = notes(app, outsider_user.id)["review_report_kept"]
    assert kept["reason"] == "Fair criticism" and kept["link"] == f"/providers/{users['provider'].id}#reviews"
    assert notes(app, users["provider"].id)["review_report_kept"]["link"] == f"/contracts/{contract}#review-{review}"
    again = staff.post(f"/admin/reviews/{review}/keep", json={"reason": "Fair criticism"})
    assert again.status_code == 409 and again.json["error"]["code"] == "no_open_reports"


def test_hiding_tells_the_author_the_reviewed_side_and_the_reporters(reviewed, api, make_user, app):
    provider, brand, contract, review, users = reviewed
    outsider_user = make_user("provider")
    api(outsider_user).post(f"/reviews/{review}/reports", json={"reason": "Insulting"})
    staff_user = make_user("admin")
    assert api(staff_user).post(f"/admin/reviews/{review}/hide", json={"reason": "Abusive wording"}).status_code == 200
    with app.app_context():
        row = db.session.scalars(db.select(ReviewReport)).one()
        assert (row.outcome, row.handled_by_id, row.handled_reason) == ("hidden", staff_user.id, "Abusive wording")
    assert notes(app, users["brand"].id)["review_hidden"]["reason"] == "Abusive wording"
    assert notes(app, users["provider"].id)["review_of_you_hidden"]["reason"] == "Abusive wording"
    assert "review_report_hidden" in notes(app, outsider_user.id)
    with app.test_request_context(headers=EN):
        assert render("review_report_hidden", notes(app, outsider_user.id)["review_report_hidden"]) == \
            f"Platform staff hid the review by {users['brand'].display_name} that you reported: Abusive wording"


def test_the_review_received_notice_says_when_the_review_comes_out(reviewed, app):
    _, _, contract, _, users = reviewed

    with app.test_request_context(headers=EN):  # nobody signed in: Asia/Shanghai
        first = notes(app, users["provider"].id)["review_received"]  # the brand reviewed first
        closes = datetime_local(datetime.fromisoformat(first["until"]))
        assert render("review_received", first) == ("The other side reviewed you on contract “Job 0”: write "
                                                    "your review to see theirs (published when both are in, "
                                                    f"or on {closes}).")
        assert render("review_received", notes(app, users["brand"].id)["review_received"]) == \
            "The other side reviewed you on contract “Job 0”: both reviews are now published."
        moved = render("review_received", {"tender": "T", "until": "2026-12-20T10:00:00+00:00"})
        assert "Dec 20, 2026, 6:00" in moved  # 10:00 UTC is 18:00 in Shanghai


# --- pages ---------------------------------------------------------------------------------------

def test_the_second_review_is_told_both_are_published(client, login, track_record, app):
    provider, provider_id, [(brand, contract)] = track_record(1)
    brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES})
    with app.app_context():
        provider_user = db.session.get(User, provider_id)
        db.session.expunge(provider_user)
    login(provider_user)
    page = f"/contracts/{contract}"
    r = form_post(client, f"/reviews/contract/{contract}", STARS, page=page, headers=EN)
    assert r.headers["Location"].endswith(f"{page}#reviews")
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Both reviews are now published." in html and "once the other side has reviewed" not in html


def test_reply_errors_are_shown_at_the_review_and_the_input_says_its_limits(client, login, reviewed):
    _, _, contract, review, users = reviewed
    login(users["provider"])
    page = f"/contracts/{contract}"
    html = client.get(page, headers=EN).get_data(as_text=True)
    reply_input = html[html.index(f'id="reply-{review}"') - 200:html.index(f'id="reply-{review}"') + 200]
    assert "required" in reply_input and 'maxlength="2000"' in reply_input
    r = form_post(client, f"/reviews/{review}/reply", {"reply": " "}, page=page, headers=EN)
    assert r.headers["Location"].endswith(f"{page}#review-{review}")
    html = client.get(page, headers=EN).get_data(as_text=True)
    article = html[html.index(f'id="review-{review}"'):]
    assert "Write a reply of 1 to 2,000 characters." in article[:article.index("</article>")]
    assert "Some values are not valid" not in html


def test_a_reader_who_reported_sees_so_and_staff_hide_from_the_contract(client, login, reviewed, make_user, app):
    _, _, contract, review, users = reviewed
    page = f"/contracts/{contract}"
    login(users["provider"])
    assert "Report this review" in client.get(page, headers=EN).get_data(as_text=True)
    form_post(client, f"/reviews/{review}/report", {"reason": "Insulting words"}, page=page, headers=EN)
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert f'data-testid="reported-{review}"' in html and "You reported this review" in html
    assert "Report this review" not in html and "Reported. Platform staff will look at it." in html

    switch(client, make_user("admin"))
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Report this review" not in html and f'data-testid="hide-{review}"' in html
    assert "Reason for hiding (shown to both parties)" in html and "data-confirm=" in html
    r = form_post(client, f"/reviews/{review}/hide?back=contract", {"reason": "Abusive wording"}, page=page,
                  headers=EN)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{page}#review-{review}")
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "The review is hidden" in html and "hidden by staff: Abusive wording" in html
    with app.app_context():
        assert db.session.get(Review, review).hidden_by_id is not None


def test_anyone_signed_in_may_report_from_the_provider_page(client, login, reviewed, make_user, app):
    _, _, _, review, users = reviewed
    login(make_user("brand"))
    page = f"/providers/{users['provider'].id}"
    assert f'action="/reviews/{review}/report"' in client.get(page).get_data(as_text=True)
    r = form_post(client, f"/reviews/{review}/report", {"reason": "Insulting words"}, page=page)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/providers/{users['provider'].id}#review-{review}")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ReviewReport)) == 1
    assert f'data-testid="reported-{review}"' in client.get(page).get_data(as_text=True)


def test_the_queue_groups_reports_by_review_and_pages(client, login, reviewed, make_user, app):
    _, _, contract, review, users = reviewed
    reporters = [make_user("brand") for _ in range(2)]
    authors = [make_user("brand") for _ in range(20)]
    with app.app_context():
        for user in reporters:
            db.session.add(ReviewReport(review_id=review, reporter_id=user.id, reason=f"Spam says {user.id}"))
        # 20 more reported reviews (one author each) on the same contract: the queue needs a second page
        for author in authors:
            extra = Review(contract_id=contract, author_id=author.id, subject_id=users["provider"].id,
                           author_role="brand", comment="later", **SCORES)
            db.session.add(extra)
            db.session.flush()
            db.session.add(ReviewReport(review_id=extra.id, reporter_id=reporters[0].id, reason="later"))
        db.session.commit()
    login(make_user("admin"))
    html = client.get("/reviews/reports", headers=EN).get_data(as_text=True)
    card = html[html.index(f'data-testid="reported-review-{review}"'):]
    card = card[:card.index("</article>")]
    assert html.count('data-testid="reported-review-') == 20 and "Page 1 of 2" in html
    assert all(f"{u.display_name}, " in card for u in reporters)  # one card, both reports and who sent them
    assert f"{users['brand'].display_name} (Brand) reviewed {users['provider'].display_name}" in card
    assert f'href="/contracts/{contract}#review-{review}"' in card and "Quality 5/5" in card
    assert f'data-testid="keep-{review}"' in card and "Reason for hiding (shown to both parties)" in card
    second = client.get("/reviews/reports?page=2", headers=EN).get_data(as_text=True)
    assert second.count('data-testid="reported-review-') == 1
    r = form_post(client, f"/reviews/{review}/keep?page=1", {"reason": "Fair criticism"}, page="/reviews/reports",
                  headers=EN)
    assert r.headers["Location"].endswith("/reviews/reports?page=1")
    html = client.get("/reviews/reports", headers=EN).get_data(as_text=True)
    assert f'data-testid="reported-review-{review}"' not in html and "Page 1 of 2" not in html
    gone = client.get("/reviews/reports?page=2")  # the second page emptied: its last page instead
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/reviews/reports?page=1")
