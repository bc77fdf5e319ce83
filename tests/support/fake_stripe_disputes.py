"""Stripe disputes (chargebacks) for the fake Connect server: localstripe has none.

tests/support/fake_stripe_connect.py mounts these routes (`mount(app, connect)`, `connect` being that module,
whose Stripe envelope, errors, clock and localstripe look-ups they use). A dispute is Stripe-shaped: `du_…`,
the charge and its PaymentIntent, amount, currency, reason, status, `evidence` (Stripe's field names),
`evidence_details` (due_by, has_evidence, past_due, submission_count) and `balance_transactions` (the
withdrawal of amount + DISPUTE_FEE when it is created, a reinstatement of the amount when it is won; the
fee is not returned, as Stripe does now).

Stripe's API:
  GET  /v1/disputes                  list, newest first (limit, starting_after, charge, payment_intent)
  GET  /v1/disputes/{id}
  POST /v1/disputes/{id}             evidence[...] (merged), metadata, submit=true (then under_review, and the
                                     evidence can no longer change); refused once closed or submitted
  POST /v1/disputes/{id}/close       accept the dispute: lost
Test-only controls, no key needed:
  POST /_connect/charges/{charge}/dispute  amount=, reason=, inquiry=true   open one on a localstripe charge
  POST /_connect/disputes/{id}/won | /lost                                the bank decides
  POST /_connect/disputes/reset                                           forget every dispute (so do
                                                                          /_connect/reset and DELETE /_config/data)
"""
from aiohttp import web

DISPUTE_FEE = 1500  # minor units, Stripe's flat dispute fee
RESPONSE_DAYS = 7  # evidence_details.due_by: this long after the dispute opens
EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
    "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
    "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text")
REASONS = ("bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
           "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
           "insufficient_funds",
           "product_not_received", "product_unacceptable", "subscription_canceled", "unrecognized")
OPEN = ("warning_needs_response", "needs_response", "warning_under_review", "under_review")
DISPUTES: dict[str, dict] = {}


def _balance_hook():
    """The fake balance-transaction store (tests/support/fake_stripe_balance.py), if there is one, so a
    dispute's money also shows there as `adjustment` rows."""
    try:
        from tests.support import fake_stripe_balance  # noqa: PLC0415 (optional, and maybe not written yet)
    except ImportError:
        try:
            import fake_stripe_balance  # noqa: PLC0415 (the same, when the server runs as a script)
        except ImportError:
            return None
    return getattr(fake_stripe_balance, "record", None)


def _transaction(connect, dispute: dict, amount: int, fee: int, description: str) -> dict:
    txn = {"id": connect.new_id("txn_"), "object": "balance_transaction", "amount": amount, "fee": fee,
           "net": amount - fee, "currency": dispute["currency"], "type": "adjustment", "reporting_category": "dispute",
           "source": dispute["id"], "created": connect.STATE.now(), "description": description, "status": "available",
           "fee_details": [{"amount": fee, "currency": dispute["currency"], "type": "stripe_fee",
                            "description": "Dispute fee"}] if fee else []}
    record = _balance_hook()
    if record is not None:
        try:
            recorded = record("adjustment", amount, fee, dispute["id"], dispute["currency"])
            txn["id"] = recorded.get("id", txn["id"]) if isinstance(recorded, dict) else txn["id"]
        except TypeError:
            pass  # another signature: the dispute keeps its own transaction
    dispute["balance_transactions"].append(txn)
    return txn


def _dispute_of(connect, dispute_id: str) -> dict:
    if dispute_id not in DISPUTES:
        raise connect.StripeError(404, f"No such dispute: '{dispute_id}'", "resource_missing", "dispute")
    return DISPUTES[dispute_id]


def mount(app: web.Application, connect) -> None:
    """Add the routes to the fake Connect server's app (before its catch-all proxy)."""
    api, StripeError = connect.stripe_api, connect.StripeError  # noqa: N806 (a class)

    @api("limit", "starting_after", "charge", "payment_intent", "created")
    async def list_disputes(request, p):
        newest_first = [d for d in reversed(DISPUTES.values())
                        if all(p.get(f) in (None, d[f]) for f in ("charge", "payment_intent"))]
        return connect.page(newest_first, p, "/v1/disputes")

    @api()
    async def retrieve_dispute(request, p):
        return _dispute_of(connect, request.match_info["id"])

    @api("evidence", "metadata", "submit")
    async def update_dispute(request, p):
        dispute = _dispute_of(connect, request.match_info["id"])
        if dispute["status"] not in OPEN:
            raise StripeError(400, f"This dispute is already closed ({dispute['status']}).", "dispute_already_closed")
        if dispute["evidence_details"]["submission_count"] and dispute["status"].endswith("under_review"):
            raise StripeError(400, "Evidence for this dispute was already submitted; it can no longer be changed.",
                              "dispute_evidence_already_submitted")
        evidence = p.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise StripeError(400, "Invalid object", "parameter_invalid_object", "evidence")
        if unknown := next((name for name in evidence if name not in EVIDENCE_FIELDS), None):
            raise StripeError(400, f"Received unknown parameter: evidence[{unknown}]", "parameter_unknown",
                              f"evidence[{unknown}]")
        dispute["evidence"].update({name: value or None for name, value in evidence.items()})
        dispute["evidence_details"]["has_evidence"] = any(dispute["evidence"].values())
        connect.with_metadata(dispute, p.get("metadata"))
        if p.get("submit") == "true":
            dispute["evidence_details"]["submission_count"] += 1
            dispute["status"] = "warning_under_review" if dispute["status"].startswith("warning") else "under_review"
        return dispute

    @api()
    async def close_dispute(request, p):
        dispute = _dispute_of(connect, request.match_info["id"])
        if dispute["status"] not in OPEN:
            raise StripeError(400, f"This dispute is already closed ({dispute['status']}).", "dispute_already_closed")
        dispute["status"] = "warning_closed" if dispute["status"].startswith("warning") else "lost"
        return dispute

    async def control_open(request):
        p = await connect.control_params(request)
        charge = await connect.upstream_get(request, f"/v1/charges/{request.match_info['charge']}") \
            if "Authorization" in request.headers else await _charge_without_key(request, connect)
        if charge is None:
            raise web.HTTPNotFound(text="No such charge")
        amount = int(p.get("amount") or charge["amount"])
        inquiry = p.get("inquiry") == "true"
        now = connect.STATE.now()
        dispute = {"id": connect.new_id("du_"), "object": "dispute", "amount": amount, "currency": charge["currency"],
                   "charge": charge["id"], "payment_intent": charge.get("payment_intent"), "created": now,
                   "reason": p.get("reason") if p.get("reason") in REASONS else "fraudulent",
                   "status": "warning_needs_response" if inquiry else "needs_response", "is_charge_refundable": False,
                   "livemode": False, "metadata": {}, "evidence": dict.fromkeys(EVIDENCE_FIELDS),
                   "evidence_details": {"due_by": now + RESPONSE_DAYS * 24 * 3600, "has_evidence": False,
                                        "past_due": False, "submission_count": 0},
                   "balance_transactions": []}
        if not inquiry:  # an inquiry moves no money; a chargeback takes the amount and the fee at once
            _transaction(connect, dispute, -amount, DISPUTE_FEE, f"Chargeback withdrawal for {charge['id']}")
        DISPUTES[dispute["id"]] = dispute
        return web.json_response(dispute)

    async def control_decide(request):
        dispute = DISPUTES.get(request.match_info["id"])
        if dispute is None:
            raise web.HTTPNotFound(text="No such dispute")
        outcome = request.match_info["outcome"]
        if dispute["status"] not in OPEN:
            return web.json_response({"error": f"already {dispute['status']}"}, status=400)
        if dispute["status"].startswith("warning"):
            dispute["status"] = "warning_closed"
        else:
            dispute["status"] = outcome
            if outcome == "won":
                _transaction(connect, dispute, dispute["amount"], 0, f"Chargeback reversal for {dispute['charge']}")
        return web.json_response(dispute)

    async def control_reset(request):
        DISPUTES.clear()
        return web.json_response({"reset": "disputes"})

    @web.middleware
    async def forget_with_the_rest(request, handler):
        """Emptying the fake Connect (/_connect/reset) or localstripe (DELETE /_config/data) empties disputes too."""
        if (request.method, request.path) in (("POST", "/_connect/reset"), ("DELETE", "/_config/data")):
            DISPUTES.clear()
        return await handler(request)

    app.middlewares.append(forget_with_the_rest)
    for method, path, handler in [
            ("GET", "/v1/disputes", list_disputes), ("GET", "/v1/disputes/{id}", retrieve_dispute),
            ("POST", "/v1/disputes/{id}", update_dispute), ("POST", "/v1/disputes/{id}/close", close_dispute),
            ("POST", "/_connect/charges/{charge}/dispute", control_open),
            ("POST", "/_connect/disputes/{id}/{outcome:won|lost}", control_decide),
            ("POST", "/_connect/disputes/reset", control_reset)]:
        app.router.add_route(method, path, handler)


async def _charge_without_key(request, connect) -> dict | None:
    """A control call carries no key: look the charge up with the test key the tests use."""
    async with request.app[connect.SESSION].get(
            request.app[connect.UPSTREAM] + f"/v1/charges/{request.match_info['charge']}",
            headers={"Authorization": "Bearer sk_test_witkey"}) as answer:
        return await answer.json(content_type=None) if answer.status == 200 else None
