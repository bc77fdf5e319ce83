"""Two envelopes (open technical, pass or fail, open prices) and best-and-final offers (issue 15)."""
from blueprints.api.bids import bid_input
from blueprints.api.presenters import bafo_out, bid_out, envelopes_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.bids import BidIn, BidOut
from blueprints.api.schemas.envelopes import BafoIn, TechnicalIn
from blueprints.api.schemas.tenders import BafoOut, EnvelopesOut
from services import bafo, envelopes

TAG = "Evaluation"


@api_route("/tenders/<int:tender_id>/envelopes", summary="When a two-envelope tender's envelopes opened",
           tag=TAG, response=EnvelopesOut, auth=False, errors=(404,))
def tender_envelopes(tender_id: int):
    """Public like the tender: every bidder sees when the technical and the price envelopes opened."""
    return envelopes_out(envelopes.envelopes_of(current_api_user(), tender_id))


@api_route("/tenders/<int:tender_id>/envelopes/technical/open", "POST", summary="Open the technical envelopes",
           tag=TAG, response=EnvelopesOut, roles=("brand",), errors=(403, 404, 409))
def open_technical_envelopes(tender_id: int):
    """After bidding closes; prices stay sealed. Recorded (when, who) and told to every bidder; once only."""
    return envelopes_out(envelopes.open_technical(current_api_user(), tender_id))


@api_route("/bids/<int:bid_id>/technical", "POST", summary="Pass or fail a bid on its technical envelope",
           tag=TAG, body=TechnicalIn, response=BidOut, roles=("brand",), errors=(403, 404, 409, 422))
def judge_technical(bid_id: int, body: TechnicalIn):
    """Once per bid, while only the technical envelopes are open; a failed bid is out (reason required)."""
    return bid_out(envelopes.judge(current_api_user(), bid_id, body.passed, body.reason or ""), current_api_user())


@api_route("/tenders/<int:tender_id>/envelopes/price/open", "POST", summary="Open the price envelopes",
           tag=TAG, response=EnvelopesOut, roles=("brand",), errors=(403, 404, 409))
def open_price_envelopes(tender_id: int):
    """Once every bid in the running has passed or failed; then prices are visible. Cannot be resealed."""
    return envelopes_out(envelopes.open_prices(current_api_user(), tender_id))


@api_route("/tenders/<int:tender_id>/bafo", "POST", summary="Ask shortlisted bids for a best and final offer",
           tag=TAG, body=BafoIn, response=BafoOut, status=201, roles=("brand",), errors=(403, 404, 409, 422))
def open_bafo(tender_id: int, body: BafoIn):
    """Bids not shortlisted: 409 `not_shortlisted`, nothing changes. Providers are told (and e-mailed)."""
    return bafo_out(bafo.open_round(current_api_user(), tender_id, body.bid_ids, body.closes_at))


@api_route("/bids/<int:bid_id>/final-offer", "POST", summary="Submit a best and final offer", tag="Bids",
           body=BidIn, response=BidOut, roles=("provider",), errors=(403, 404, 409, 422))
def submit_final_offer(bid_id: int, body: BidIn):
    """While the bid's round is open: a new price (never above the offer the round opened with) and plan."""
    return bid_out(bafo.submit_final_offer(current_api_user(), bid_id, bid_input(body)), current_api_user())
