"""Around a tender: questions and public answers, addenda, invitations and whom to invite."""
from blueprints.api.presenters import provider_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.tender_board import (
    AddendumIn,
    AddendumList,
    AddendumOut,
    AnswerIn,
    InviteIn,
    InviteOut,
    QuestionIn,
    QuestionList,
    QuestionOut,
    RecommendedProviders,
)
from services import addenda, directory, invitations, questions
from services.tenders import get_tender


@api_route("/tenders/<int:tender_id>/questions", summary="Questions and public answers", tag="Q&A",
           response=QuestionList, auth=False, errors=(404,))
def list_questions(tender_id: int):
    """Answered questions for everyone (never who asked); the brand also sees unanswered ones."""
    rows = questions.visible_questions(current_api_user(), tender_id)
    return QuestionList(items=[QuestionOut.model_validate(q) for q in rows])


@api_route("/tenders/<int:tender_id>/questions", "POST", summary="Ask the brand a question", tag="Q&A",
           body=QuestionIn, response=QuestionOut, status=201, roles=("provider",),
           errors=(404, 409, 422))
def ask_question(tender_id: int, body: QuestionIn):
    return QuestionOut.model_validate(questions.ask(current_api_user(), tender_id, body.question))


@api_route("/questions/<int:question_id>/answer", "POST", summary="Answer a question publicly", tag="Q&A",
           body=AnswerIn, response=QuestionOut, roles=("brand",), errors=(403, 404, 409, 422))
def answer_question(question_id: int, body: AnswerIn):
    return QuestionOut.model_validate(questions.answer(current_api_user(), question_id, body.answer))


@api_route("/tenders/<int:tender_id>/addenda", summary="Published changes to a tender", tag="Q&A",
           response=AddendumList, auth=False, errors=(404,))
def list_addenda(tender_id: int):
    tender = get_tender(tender_id, viewer=current_api_user())
    return AddendumList(items=[AddendumOut.model_validate(a) for a in tender.addenda])


@api_route("/tenders/<int:tender_id>/addenda", "POST", summary="Publish an addendum", tag="Q&A",
           body=AddendumIn, response=AddendumOut, status=201, roles=("brand",),
           errors=(403, 404, 409, 422))
def publish_addendum(tender_id: int, body: AddendumIn):
    """Every bidder is told; within 48 hours of the deadline the deadline moves to 48 hours from now."""
    return AddendumOut.model_validate(
        addenda.publish(current_api_user(), tender_id, body.body, body.bid_deadline))


@api_route("/tenders/<int:tender_id>/invitations", "POST", summary="Invite providers to bid", tag="Q&A",
           body=InviteIn, response=InviteOut, status=201, roles=("brand",),
           errors=(403, 404, 409, 422))
def invite(tender_id: int, body: InviteIn):
    created = invitations.invite(current_api_user(), tender_id, body.provider_ids)
    return InviteOut(invited=[inv.provider_id for inv in created])


@api_route("/tenders/<int:tender_id>/recommended-providers", summary="Providers to invite, as the tender page "
           "suggests them", tag="Q&A", response=RecommendedProviders, roles=("brand",), errors=(403, 404))
def recommended_providers(tender_id: int):
    viewer = current_api_user()
    found = directory.recommended_for(viewer, get_tender(tender_id, viewer=viewer))
    ids = [p.user_id for p in found]
    rated, badges = directory.latest_ratings(ids), directory.badges_of(ids, directory.current_periods())
    return RecommendedProviders(star_levels=list(directory.suited_levels(viewer)),
                                items=[provider_out(p, rated.get(p.user_id), badges[p.user_id]) for p in found])
