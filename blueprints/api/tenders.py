"""Tenders: create, list, detail, close, cancel."""
from blueprints.api.presenters import tender_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.tenders import (
    CancelIn,
    CorrectionIn,
    TenderIn,
    TenderListQuery,
    TenderOut,
    TenderPage,
    TenderStatusOut,
)
from services import addenda, tenders
from services.criteria import CriterionInput
from services.tenders import KpiInput, TenderFilters, TenderInput


@api_route("/tenders", "POST", summary="Post a tender", tag="Tenders", body=TenderIn,
           response=TenderOut, status=201, roles=("brand",), errors=(422,))
def create_tender(body: TenderIn):
    data = TenderInput(**body.model_dump(exclude={"kpis", "criteria"}),
                       kpis=[KpiInput(**k.model_dump()) for k in body.kpis],
                       criteria={kind: [CriterionInput(**c.model_dump()) for c in items]
                                 for kind, items in body.criteria.items()})
    tender = tenders.create_tender(current_api_user(), data)
    return tender_out(tender, current_api_user())


@api_route("/tenders", summary="List public tenders", tag="Tenders", query=TenderListQuery,
           response=TenderPage, auth=False)
def list_tenders(query: TenderListQuery):
    """Newest first. With `q`: tenders holding every word in the title or description, best matches first.
    The ranking covers the newest 500 matching tenders, which are the results; when more match, `total`
    is 500 with `total_is_estimate` true (narrow the search — a category, more words — to reach older ones).

    Page by cursor: follow `next_cursor` (as `?cursor=`) until it is null — each page as fast as the first.
    `page` still works but slows down the deeper it goes. `total` is exact up to a cap, and the cap
    itself with `total_is_estimate` true beyond. Searches (`q`, ranked by relevance) and `sort=brand_score`
    page by `page` only."""
    filters = TenderFilters(**query.model_dump(exclude={"page", "per_page", "cursor"}))
    page = tenders.search_tenders(filters, query.page, query.per_page, cursor=query.cursor)
    viewer = current_api_user()
    extras, brands = tenders.listing_extras([t.id for t in page.items]), {}
    return TenderPage(items=[tender_out(t, viewer, extras=extras[t.id], brands=brands) for t in page.items],
                      page=page.page,
                      per_page=page.per_page, total=page.total, total_is_estimate=page.total_is_estimate,
                      next_cursor=page.next_cursor)


@api_route("/tenders/<int:tender_id>", summary="One tender with its bid count and current round",
           tag="Tenders", response=TenderOut, auth=False, errors=(404,))
def get_tender(tender_id: int):
    viewer = current_api_user()
    tender, extras = tenders.tender_with_extras(tender_id, viewer)
    return tender_out(tender, viewer, extras=extras)


@api_route("/tenders/<int:tender_id>/close", "POST", summary="End bidding early", tag="Tenders",
           response=TenderStatusOut, roles=("brand",), errors=(403, 404, 409))
def close_tender(tender_id: int):
    tender = tenders.close_tender(current_api_user(), tender_id)
    return TenderStatusOut(id=tender.id, status=tender.status)


@api_route("/tenders/<int:tender_id>/cancel", "POST", summary="Cancel a tender before award", tag="Tenders",
           body=CancelIn, response=TenderStatusOut, roles=("brand",), errors=(403, 404, 409))
def cancel_tender(tender_id: int, body: CancelIn):
    tender = tenders.cancel_tender(current_api_user(), tender_id, body.reason or "")
    return TenderStatusOut(id=tender.id, status=tender.status)


@api_route("/tenders/<int:tender_id>", "PATCH", summary="Correct the description before anyone bids",
           tag="Tenders", body=CorrectionIn, response=TenderOut, roles=("brand",), errors=(403, 404, 409, 422))
def correct_tender(tender_id: int, body: CorrectionIn):
    """While no provider has bid; afterwards 409 `tender_has_bids`: publish an addendum instead."""
    user = current_api_user()
    return tender_out(addenda.correct(user, tender_id, body.description), user)
