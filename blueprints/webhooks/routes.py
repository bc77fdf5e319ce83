"""Incoming webhooks. Stripe's are trusted only with a valid signature (Stripe-Signature, 300 s either
way) over a body of the event shape we read; anything else is a 400 and changes nothing."""
import stripe
from flask import Blueprint, current_app, jsonify, request

from extensions import csrf, db
from services import stripe_funding, stripe_gateway

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/stripe")
@csrf.exempt
def stripe_events():
    if not current_app.config.get("STRIPE_WEBHOOK_SECRET"):
        return jsonify(error={"code": "not_configured", "message": "Stripe is not configured"}), 404
    try:
        event = stripe_gateway.verified_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except stripe.SignatureVerificationError:
        return jsonify(error={"code": "bad_signature", "message": "invalid Stripe signature"}), 400
    except ValueError as error:  # signed, but not JSON or not an event we can read (MalformedEvent)
        current_app.logger.warning("malformed Stripe event refused: %s", error)
        return jsonify(error={"code": "malformed_event", "message": "not a valid Stripe event"}), 400
    result = stripe_funding.handle_event(event)
    db.session.commit()
    current_app.logger.info("stripe event %s %s → %s", event["id"], event["type"], result)
    return jsonify(received=True, result=result)
