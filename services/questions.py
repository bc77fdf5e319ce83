"""Questions on a tender. Answers are public to every bidder; who asked is never shown."""
from flask_babel import lazy_gettext as _l

from extensions import db
from models import TenderQuestion, User
from models.tender import TenderStatus
from models.types import utcnow
from services import destinations, notifications, permissions, webhooks
from services.errors import Conflict, Forbidden, NotFound, check
from services.tenders import get_tender, owned_tender


def ask(provider: User, tender_id: int, text: str) -> TenderQuestion:
    tender = get_tender(tender_id, viewer=provider)
    if provider is None or not provider.is_provider:
        raise Forbidden(_l("Only service providers ask questions on tenders."))
    permissions.require(provider, "tender.ask")
    if tender.status != TenderStatus.OPEN:
        raise Conflict(_l("Questions can be asked while bidding is open."), code="tender_not_open")
    text = (text or "").strip()
    check({"question": not 5 <= len(text) <= 2000 and _l("Ask in 5 to 2000 characters.")})
    question = TenderQuestion(tender_id=tender.id, asked_by_id=provider.id, question=text)
    tender.questions.append(question)
    notifications.notify([tender.brand_id], "question_asked", to=destinations.tender(tender.id, "questions"),
                         tender=tender.title)
    return question


def answer(brand: User, question_id: int, text: str) -> TenderQuestion:
    question = db.session.get(TenderQuestion, question_id)
    if question is None:
        raise NotFound()
    tender = owned_tender(brand, question.tender_id, "tender.answer")
    if question.answer is not None:
        raise Conflict(_l("This question is already answered; publish an addendum to change the tender."),
                       code="already_answered")
    text = (text or "").strip()
    check({"answer": not 2 <= len(text) <= 5000 and _l("Answer in 2 to 5000 characters.")})
    question.answer, question.answered_at = text, utcnow()
    bidders = {bid.provider_id for bid in tender.bids if bid.live} | {question.asked_by_id}
    notifications.notify(bidders, "question_answered", to=destinations.tender(tender.id, "questions"),
                         tender=tender.title)
    webhooks.emit("question.answered", f"tender:{tender.id}",
                  {"question": {"id": question.id, "tender_id": tender.id,
                                "answered_at": question.answered_at.isoformat()}},
                  **webhooks.tender_audience(tender))
    return question


def visible_questions(viewer: User | None, tender_id: int) -> list[TenderQuestion]:
    """Everyone sees answered questions; the brand also sees those waiting for an answer."""
    tender = get_tender(tender_id, viewer=viewer)
    if viewer is not None and (viewer.account_id == tender.brand_id or viewer.is_admin):
        return list(tender.questions)
    return [q for q in tender.questions if q.answer is not None]


def tender_id_of(question_id: int) -> int:
    question = db.session.get(TenderQuestion, question_id)
    if question is None:
        raise NotFound()
    return question.tender_id
