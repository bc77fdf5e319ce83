"""Idempotency-Key on every POST a signed-in user makes, not only on money moves (issue 22, item 11):
a client retrying after a lost answer gets the first answer back, not a 409 or a second row."""
import io

from sqlalchemy import func, select

from extensions import db
from models import Bid, BidAttachment, Review, Tender, TenderQuestion
from tests.support.factories import bid_payload, tender_payload

SCORES = {"quality": 5, "communication": 4, "timeliness": 4, "professionalism": 5}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_review_retried_with_the_same_key_replays_the_first_answer(track_record, app):
    _, _, [(brand, contract)] = track_record(1)
    body = {"scores": SCORES, "comment": "Fast and careful."}
    first = brand.post(f"/contracts/{contract}/reviews", json=body, headers={"Idempotency-Key": "review-1"})
    again = brand.post(f"/contracts/{contract}/reviews", json=body, headers={"Idempotency-Key": "review-1"})
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.json == first.json
    assert _count(app, Review) == 1


def test_review_key_reused_on_a_different_body_is_refused(track_record, app):
    _, _, [(brand, contract)] = track_record(1)
    first = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Good."},
                       headers={"Idempotency-Key": "review-2"})
    assert first.status_code == 201
    other = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES, "comment": "Changed my mind."},
                       headers={"Idempotency-Key": "review-2"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert _count(app, Review) == 1


def test_duplicate_review_without_a_key_still_conflicts(track_record, app):
    _, _, [(brand, contract)] = track_record(1)
    assert brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES}).status_code == 201
    again = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES})
    assert again.status_code == 409
    # a fresh key is a fresh request: the rule (one review per party) still answers
    fresh = brand.post(f"/contracts/{contract}/reviews", json={"scores": SCORES}, headers={"Idempotency-Key": "new"})
    assert fresh.status_code == 409
    assert _count(app, Review) == 1


def test_tender_retried_with_the_same_key_is_posted_once(api, make_user, app):
    brand = api(make_user("brand"))
    body = tender_payload()
    first = brand.post("/tenders", json=body, headers={"Idempotency-Key": "tender-1"})
    again = brand.post("/tenders", json=body, headers={"Idempotency-Key": "tender-1"})
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.json == first.json
    assert _count(app, Tender) == 1
    assert brand.post("/tenders", json=body).status_code == 201  # no key: a second tender, as before
    assert _count(app, Tender) == 2


def test_bid_retried_with_the_same_key_is_submitted_once(market, app):
    m = market(1)
    body = bid_payload()
    first = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=body, headers={"Idempotency-Key": "bid-1"})
    again = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=body, headers={"Idempotency-Key": "bid-1"})
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.json == first.json
    assert _count(app, Bid) == 1
    other = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload(400000_00),
                                headers={"Idempotency-Key": "bid-1"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_question_retried_with_the_same_key_is_asked_once(market, app):
    m = market(1)
    body = {"question": "How many chats a day?"}
    first = m.providers[0].post(f"/tenders/{m.tender_id}/questions", json=body, headers={"Idempotency-Key": "q-1"})
    again = m.providers[0].post(f"/tenders/{m.tender_id}/questions", json=body, headers={"Idempotency-Key": "q-1"})
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.json == first.json
    assert _count(app, TenderQuestion) == 1


def test_upload_retried_with_the_same_key_is_stored_once(market, app):
    """A multipart retry carries a new boundary; the same file under the same key is still the same request."""
    m = market(1)
    bid = m.bid(0)
    pdf = b"%PDF-1.4\n% proposal deck\n" + b"0" * 2000
    provider = m.providers[0]

    def upload(content: bytes, key: str):
        return provider.client.post(f"/api/v1/bids/{bid['id']}/attachments",
                                    data={"file": (io.BytesIO(content), "deck.pdf")},
                                    headers={"Authorization": f"Bearer {provider.token}", "Idempotency-Key": key},
                                    content_type="multipart/form-data")

    first, again = upload(pdf, "file-1"), upload(pdf, "file-1")
    assert first.status_code == 201, first.json
    assert again.status_code == 201 and again.json == first.json
    assert _count(app, BidAttachment) == 1
    other = upload(pdf + b"1", "file-1")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


ANONYMOUS = ("/auth/register", "/auth/tokens", "/auth/verify-email", "/auth/password-reset",
             "/auth/password-reset/confirm", "/auth/suspension-appeal")  # no user to key by
# Signed-in POSTs whose answer must not be stored for a replay: secrets (a TOTP secret, recovery codes,
# an expiring Stripe link) or an answer that follows from a password.
NOT_REPLAYED = ("/me/password", "/me/email-verification", "/me/two-factor/start", "/me/two-factor/confirm",
                "/me/two-factor/recovery-codes", "/me/two-factor/disable", "/me/payout-account/stripe-onboarding")


def test_openapi_documents_the_header_on_every_signed_in_post(api):
    doc = api().get("/openapi.json").json
    for path, ops in doc["paths"].items():
        if "post" not in ops:
            continue
        names = [p["name"] for p in ops["post"].get("parameters", [])]
        if path in ANONYMOUS + NOT_REPLAYED:
            assert "Idempotency-Key" not in names, path
        else:
            assert "Idempotency-Key" in names, path


def _lost(committed: bool):
    """A COMMIT whose answer the database never sent (it went away): made or not, the app sees only the error."""
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415

    def commit():
        if committed:
            db.session.commit()
        else:
            db.session.rollback()
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
    return commit


def test_a_write_whose_commit_lost_its_answer_answers_what_it_stored(track_record, app, monkeypatch):
    """The fault campaign's pg-stop-immediate found a review committed and answered 500: the COMMIT reached
    the database, which stopped before answering. The stored answer is in that transaction, so it tells."""
    from blueprints.api import routing  # noqa: PLC0415

    _, _, [(brand, contract)] = track_record(1)
    body = {"scores": SCORES, "comment": "Fast and careful."}
    monkeypatch.setattr(routing, "_commit", _lost(committed=True))
    first = brand.post(f"/contracts/{contract}/reviews", json=body, headers={"Idempotency-Key": "lost-1"})
    assert first.status_code == 201, first.json
    monkeypatch.undo()
    again = brand.post(f"/contracts/{contract}/reviews", json=body, headers={"Idempotency-Key": "lost-1"})
    assert again.status_code == 201 and again.json == first.json
    assert _count(app, Review) == 1


def test_a_write_whose_commit_failed_is_a_503_to_retry_and_the_retry_makes_it(track_record, app, monkeypatch):
    from blueprints.api import routing  # noqa: PLC0415

    _, _, [(brand, contract)] = track_record(1)
    body = {"scores": SCORES, "comment": "Fast and careful."}
    monkeypatch.setattr(routing, "_commit", _lost(committed=False))
    first = brand.post(f"/contracts/{contract}/reviews", json=body, headers={"Idempotency-Key": "lost-2"})
    assert first.status_code == 503 and first.json["error"]["code"] == "service_unavailable"
    assert first.headers["Retry-After"]
    assert _count(app, Review) == 0
    monkeypatch.undo()
    again = brand.post(f"/contracts/{contract}/reviews", json=body, headers={"Idempotency-Key": "lost-2"})
    assert again.status_code == 201, again.json
    assert _count(app, Review) == 1
