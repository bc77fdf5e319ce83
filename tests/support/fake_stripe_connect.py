"""A small stateful Stripe Connect of the project's own, in front of localstripe (which has no Connect).

Run as `python tests/support/fake_stripe_connect.py PORT LOCALSTRIPE_URL`. It answers accounts, account links,
transfers and transfer reversals itself, Stripe-shaped (form-encoded in, JSON with `object` out, Stripe's
error JSON and statuses), and proxies every other request to localstripe unchanged, so the app's real
`stripe` client talks HTTP to one API base and never knows it is a test.

What Stripe documents and localstripe does not do, it enforces:
- an Idempotency-Key on a /v1 POST replays the first answer (status and body) for 24 h, per API key; the
  same key on a different request is an idempotency_error; a key still in flight is a 409 (stripe retries);
- a transfer needs an onboarded destination (transfers capability active), and one with source_transaction
  cannot exceed what is left of that charge (its amount less refunds and earlier, non-reversed transfers);
- a reversal cannot exceed what is left of the transfer;
- a refund is by default what is left of its charge and never more, and it cannot eat into money transferred
  out of that charge: reverse the transfer first (this project's rule for refunding a brand after paying a
  provider).

Test-only controls, not Stripe paths, no key needed:
  GET  /_connect/onboard/{token}                 the account link's url: completes onboarding, 302 to return_url
                                                 (an expired or used link: 302 to refresh_url)
  POST /_connect/accounts/{id}/complete_onboarding   the same without a link
  POST /_connect/accounts/{id}/disable_transfers transfers capability inactive, payouts off: the next transfer fails
  POST /_connect/clock  advance_seconds=N        moves this server's clock (idempotency expiry, link expiry, created)
  GET  /_connect/transfers/all                   every transfer, for assertions
  POST /_connect/idempotency/reset               forget idempotency keys only (the tests' databases restart their
                                                 ids, so the app's keys repeat from test to test)
  POST /_connect/reset                           forget accounts, links, transfers, idempotency keys, clock offset,
                                                 balance transactions
  POST /_connect/balance_transactions type=…&amount=…&fee=…&source=…&currency=…
                                                 a balance transaction Stripe made on its own (fees, adjustments)

Balance transactions and the balance (GET /v1/balance_transactions[/{id}], /v1/balance/history[/{id}],
/v1/balance) are answered from tests/support/fake_stripe_balance.py, with Stripe's card fee.
"""
import asyncio
import secrets
import sys
import time
from urllib.parse import parse_qsl

from aiohttp import ClientSession, web
from multidict import CIMultiDict

try:  # disputes (chargebacks) live in a module of their own, mounted in make_app
    from tests.support import fake_stripe_disputes
except ImportError:  # run as a script: this file's folder is on sys.path
    import fake_stripe_disputes
try:
    from tests.support import fake_stripe_balance as balance
except ImportError:  # run as a script: tests/support itself is on sys.path
    import fake_stripe_balance as balance

DAY = 24 * 3600  # how long Stripe keeps an idempotency key
LINK_TTL = 300  # Stripe's account links expire after minutes
DUE = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]  # a new Express account's
CAPABILITY_MESSAGE = ("Your destination account needs to have at least one of the following capabilities enabled: "
                      "transfers, crypto_transfers, legacy_payments")
CURRENCIES = {"US": "usd", "GB": "gbp", "CN": "cny", "HK": "hkd", "SG": "sgd", "JP": "jpy", "CA": "cad", "AU": "aud"}
NOT_FORWARDED = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding",
                 "date", "server"}
# Accepted on accounts; only email, metadata and (on create) capabilities are kept.
ACCOUNT_PARAMS = ("email", "capabilities", "metadata", "business_type", "business_profile", "company", "individual",
                  "settings", "tos_acceptance", "default_currency")
UPSTREAM = web.AppKey("upstream", str)
SESSION = web.AppKey("session", ClientSession)


class State:
    def __init__(self):
        self.money = asyncio.Lock()  # checking what is left of a charge and moving it is one step
        self.reset()

    def reset(self):
        self.offset = 0
        self.accounts, self.links, self.transfers, self.idempotent = {}, {}, {}, {}
        balance.STORE.reset()
        balance.STORE.clock = self.now

    def now(self) -> int:
        return int(time.time()) + self.offset

    def transferred_from(self, charge_id: str) -> int:
        return sum(t["amount"] - t["amount_reversed"] for t in self.transfers.values()
                   if t["source_transaction"] == charge_id)


STATE = State()


class StripeError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **({"code": code} if code else {}),
                               **({"param": param} if param else {})}}

    def response(self) -> web.Response:
        response = web.json_response(self.body, status=self.status)
        # Stripe saves no idempotent answer when parameters fail validation: nothing started executing.
        response["unsaved"] = self.body["error"].get("code", "").startswith("parameter_")
        return response


def new_id(prefix: str, n: int = 24) -> str:
    return prefix + secrets.token_hex(n)[:n]


def parse_params(text: str) -> dict:
    """stripe-python's form encoding (`metadata[k]=v`, `capabilities[transfers][requested]=true`) as dicts."""
    params: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        *path, last = key.replace("]", "").split("[")
        node = params
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return params


def api_key(request) -> str | None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key if scheme == "Bearer" and key.startswith("sk_test_") else None


def required(params: dict, name: str) -> str:
    if not params.get(name):
        raise StripeError(400, f"Missing required param: {name}.", "parameter_missing", name)
    return params[name]


def integer(params: dict, name: str, low: int = 1, high: int | None = None) -> int:
    value = required(params, name)
    if not (isinstance(value, str) and value.isdigit() and low <= int(value) <= (high or int(value))):
        raise StripeError(400, f"Invalid integer: {value}", "parameter_invalid_integer", name)
    return int(value)


def with_metadata(target: dict, metadata) -> None:
    """Stripe's metadata update: keys merge, an empty value deletes its key."""
    if metadata is None:
        return
    if metadata == "":
        target["metadata"] = {}
        return
    if not isinstance(metadata, dict):
        raise StripeError(400, "Invalid object", "parameter_invalid_object", "metadata")
    for key, value in metadata.items():
        if value == "":
            target["metadata"].pop(key, None)
        else:
            target["metadata"][key] = value


def page(items: list, params: dict, url: str) -> dict:
    """Stripe's list shape; `starting_after` walks it the way auto_paging_iter does."""
    limit = integer(params, "limit", 1, 100) if "limit" in params else 10
    if after := params.get("starting_after"):
        ids = [item["id"] for item in items]
        if after not in ids:
            raise StripeError(400, f"No such object: '{after}'", "resource_missing", "starting_after")
        items = items[ids.index(after) + 1:]
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def stripe_api(*accepted: str):
    """Our own endpoints in Stripe's envelope: Bearer sk_test_ auth, params in (an unknown one is refused, as
    Stripe does, so a misspelt parameter fails here too), JSON or a Stripe error out."""
    def decorate(handler):
        async def wrapped(request):
            if api_key(request) is None:
                return StripeError(401, "Invalid API Key provided: expected 'Bearer sk_test_...'.").response()
            params = parse_params(await request.text() if request.method == "POST" else request.query_string)
            try:
                if unknown := next((name for name in params if name not in (*accepted, "expand")), None):
                    raise StripeError(400, f"Received unknown parameter: {unknown}", "parameter_unknown", unknown)
                return web.json_response(await handler(request, params))
            except StripeError as error:
                return error.response()
        return wrapped
    return decorate


@web.middleware
async def idempotency(request, handler):
    """Stripe's idempotency layer for every /v1 POST, ours and localstripe's alike."""
    key, scope = request.headers.get("Idempotency-Key"), api_key(request)
    if request.method != "POST" or not key or scope is None or not request.path.startswith("/v1/"):
        return await handler(request)
    if len(key) > 255:
        return StripeError(400, "Idempotency keys can be at most 255 characters long.", kind="idempotency_error",
                           code="idempotency_key_too_long").response()
    fingerprint = (request.path, sorted(parse_qsl((await request.read()).decode(), keep_blank_values=True)))
    slot = (scope, request.headers.get("Stripe-Account"), key)
    saved = STATE.idempotent.get(slot)
    if saved and STATE.now() - saved["at"] < DAY:
        if saved["fingerprint"][0] != request.path:
            return StripeError(400, f"Keys for idempotent requests can only be used for the same endpoint they were "
                               f"first used for ('{request.path}' vs '{saved['fingerprint'][0]}'). Try using a key "
                               f"other than '{key}' if you meant to execute a different request.",
                               kind="idempotency_error").response()
        if saved["fingerprint"] != fingerprint:
            return StripeError(400, f"Keys for idempotent requests can only be used with the same parameters they "
                               f"were first used with. Try using a key other than '{key}' if you meant to execute "
                               f"a different request.", kind="idempotency_error").response()
        if saved["answer"] is None:
            return StripeError(409, "There is currently another in-progress request using this Idempotent Key "
                               "(that probably means you submitted twice, and the other request is still going "
                               "through). Please try again later.", kind="idempotency_error").response()
        status, body, content_type = saved["answer"]
        return web.Response(status=status, body=body, content_type=content_type,
                            headers={"Idempotent-Replayed": "true"})
    STATE.idempotent[slot] = entry = {"at": STATE.now(), "fingerprint": fingerprint, "answer": None}
    try:
        response = await handler(request)
    except BaseException:
        STATE.idempotent.pop(slot, None)
        raise
    if response.get("unsaved") or response.status == 401:
        STATE.idempotent.pop(slot, None)
    else:
        entry["answer"] = (response.status, response.body, response.content_type)
    return response


async def proxy(request, body: bytes | None = None) -> web.Response:
    """The request to localstripe as it came (method, path, query, body, headers); its answer as it came."""
    body = await request.read() if body is None else body
    headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED)
    async with request.app[SESSION].request(request.method, request.app[UPSTREAM] + request.raw_path,
                                            headers=headers, data=body or None, allow_redirects=False) as answer:
        return web.Response(status=answer.status, body=await answer.read(), headers=CIMultiDict(
            (k, v) for k, v in answer.headers.items() if k.lower() not in NOT_FORWARDED))


async def upstream_get(request, path: str) -> dict | None:
    """An object from localstripe, asked with the caller's own key; None if it has no such thing."""
    async with request.app[SESSION].get(request.app[UPSTREAM] + path,
                                        headers={"Authorization": request.headers["Authorization"]}) as answer:
        return await answer.json(content_type=None) if answer.status == 200 else None


# --- accounts and onboarding ---

def account_of(account_id: str) -> dict:
    if account_id not in STATE.accounts:
        raise StripeError(403, f"The provided key does not have access to account '{account_id}' (or that account "
                          "does not exist). Application access may have been revoked.", "account_invalid")
    return STATE.accounts[account_id]


@stripe_api("type", "country", *ACCOUNT_PARAMS)
async def create_account(request, p):
    if required(p, "type") not in ("express", "custom", "standard"):
        raise StripeError(400, "Invalid type: must be one of express, custom or standard", "parameter_invalid_string",
                          "type")
    country = p.get("country") or "US"
    requested = p.get("capabilities") or {}
    account = {"id": new_id("acct_", 16), "object": "account", "type": p["type"], "country": country,
               "email": p.get("email"), "default_currency": CURRENCIES.get(country, "eur"), "business_type": None,
               "capabilities": {name: "inactive" for name, ask in requested.items()
                                if isinstance(ask, dict) and ask.get("requested") == "true"},
               "charges_enabled": False, "payouts_enabled": False, "details_submitted": False,
               "requirements": {"currently_due": list(DUE), "eventually_due": list(DUE), "past_due": list(DUE),
                                "pending_verification": [], "disabled_reason": "requirements.past_due",
                                "current_deadline": None, "errors": []},
               "metadata": {}, "created": STATE.now(), "livemode": False}
    with_metadata(account, p.get("metadata"))
    STATE.accounts[account["id"]] = account
    return account


@stripe_api()
async def retrieve_account(request, p):
    return account_of(request.match_info["id"])


@stripe_api(*ACCOUNT_PARAMS)
async def update_account(request, p):
    account = account_of(request.match_info["id"])
    with_metadata(account, p.get("metadata"))
    if p.get("email"):
        account["email"] = p["email"]
    return account


def complete_onboarding(account: dict) -> None:
    account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True,
                   capabilities=dict.fromkeys(account["capabilities"], "active"))
    account["requirements"].update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)


@stripe_api("account", "type", "refresh_url", "return_url", "collect", "collection_options")
async def create_account_link(request, p):
    account_id = required(p, "account")
    if account_id not in STATE.accounts:
        raise StripeError(400, f"No such account: '{account_id}'", "resource_missing", "account")
    if required(p, "type") not in ("account_onboarding", "account_update"):
        raise StripeError(400, "Invalid type: must be one of account_onboarding or account_update",
                          "parameter_invalid_string", "type")
    token, now = secrets.token_urlsafe(16), STATE.now()
    STATE.links[token] = {"account": account_id, "refresh_url": required(p, "refresh_url"),
                          "return_url": required(p, "return_url"), "expires_at": now + LINK_TTL, "used": False}
    return {"object": "account_link", "created": now, "expires_at": now + LINK_TTL,
            "url": f"{request.url.origin()}/_connect/onboard/{token}"}


async def onboard(request):
    link = STATE.links.get(request.match_info["token"])
    if link is None:
        raise web.HTTPNotFound(text="No such account link")
    if link["used"] or STATE.now() >= link["expires_at"]:
        raise web.HTTPFound(link["refresh_url"])  # Stripe sends the user to refresh_url for a new link
    link["used"] = True
    complete_onboarding(STATE.accounts[link["account"]])
    raise web.HTTPFound(link["return_url"])


# --- transfers and reversals ---

def transfer_of(request) -> dict:
    transfer_id = request.match_info["id"]
    if transfer_id not in STATE.transfers:
        raise StripeError(404, f"No such transfer: '{transfer_id}'", "resource_missing", "id")
    return STATE.transfers[transfer_id]


@stripe_api("amount", "currency", "destination", "transfer_group", "source_transaction", "metadata",
            "description")
async def create_transfer(request, p):
    amount, currency = integer(p, "amount"), required(p, "currency").lower()
    destination_id, source_id = required(p, "destination"), p.get("source_transaction")
    destination = STATE.accounts.get(destination_id)
    if destination is None:
        raise StripeError(400, f"No such destination: '{destination_id}'", "resource_missing", "destination")
    if destination["capabilities"].get("transfers") != "active":
        raise StripeError(400, CAPABILITY_MESSAGE, "insufficient_capabilities_for_transfer", "destination")
    async with STATE.money:
        if source_id:
            charge = await upstream_get(request, f"/v1/charges/{source_id}")
            if charge is None:
                raise StripeError(400, f"No such charge: '{source_id}'", "resource_missing", "source_transaction")
            if charge["currency"] != currency:
                raise StripeError(400, f"The currency of source_transaction's balance transaction "
                                  f"({charge['currency']}) must be the same as the transfer currency ({currency}).",
                                  param="currency")
            left = charge["amount"] - charge.get("amount_refunded", 0) - STATE.transferred_from(source_id)
            if amount > left:
                raise StripeError(400, f"The transfer amount ({amount}) exceeds what is left of source_transaction "
                                  f"{source_id} ({left}).", "amount_too_large", "amount")
        transfer_id = new_id("tr_")
        txn = balance.record("transfer", -amount, 0, transfer_id, currency)
        transfer = {"id": transfer_id, "object": "transfer", "amount": amount, "amount_reversed": 0,
                    "balance_transaction": txn["id"], "created": STATE.now(), "currency": currency,
                    "description": p.get("description"), "destination": destination_id,
                    "destination_payment": new_id("py_"), "livemode": False, "metadata": {},
                    "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                                  "url": f"/v1/transfers/{transfer_id}/reversals"},
                    "reversed": False, "source_transaction": source_id, "source_type": "card",
                    "transfer_group": p.get("transfer_group")}
        with_metadata(transfer, p.get("metadata"))
        STATE.transfers[transfer_id] = transfer
    return transfer


@stripe_api()
async def retrieve_transfer(request, p):
    return transfer_of(request)


@stripe_api("metadata", "description")
async def update_transfer(request, p):
    transfer = transfer_of(request)
    with_metadata(transfer, p.get("metadata"))
    if "description" in p:
        transfer["description"] = p["description"]
    return transfer


@stripe_api("destination", "transfer_group", "limit", "starting_after")
async def list_transfers(request, p):
    newest_first = [t for t in reversed(STATE.transfers.values())
                    if all(p.get(f) in (None, t[f]) for f in ("destination", "transfer_group"))]
    return page(newest_first, p, "/v1/transfers")


@stripe_api("amount", "metadata", "description")
async def create_reversal(request, p):
    transfer = transfer_of(request)
    async with STATE.money:
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = integer(p, "amount") if "amount" in p else left
        if left == 0:
            raise StripeError(400, f"Transfer {transfer['id']} has already been fully reversed.")
        if amount > left:
            raise StripeError(400, f"The reversal amount ({amount}) is greater than the amount left to reverse on "
                              f"transfer {transfer['id']} ({left}).", "amount_too_large", "amount")
        reversal_id = new_id("trr_")
        txn = balance.record("transfer_refund", amount, 0, reversal_id, transfer["currency"])
        reversal = {"id": reversal_id, "object": "transfer_reversal", "amount": amount,
                    "balance_transaction": txn["id"], "created": STATE.now(), "currency": transfer["currency"],
                    "destination_payment_refund": new_id("pyr_"), "metadata": {}, "source_refund": None,
                    "transfer": transfer["id"]}
        with_metadata(reversal, p.get("metadata"))
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] += 1
    return reversal


@stripe_api("limit", "starting_after")
async def list_reversals(request, p):
    transfer = transfer_of(request)
    return page(transfer["reversals"]["data"], p, transfer["reversals"]["url"])


async def refunded_charge(request, p: dict) -> dict | None:
    """The localstripe charge a refund is for (by `charge`, or a PaymentIntent's latest charge)."""
    if p.get("charge"):
        return await upstream_get(request, f"/v1/charges/{p['charge']}")
    intent = p.get("payment_intent") and await upstream_get(request, f"/v1/payment_intents/{p['payment_intent']}")
    latest = intent and (intent.get("latest_charge") or ((intent.get("charges") or {}).get("data") or [None])[0])
    charge_id = latest.get("id") if isinstance(latest, dict) else latest
    return charge_id and await upstream_get(request, f"/v1/charges/{charge_id}")


async def create_refund(request):
    """localstripe's refunds with Stripe's limits, which localstripe lacks: by default what is left of the
    charge, never more; and never money that sits with a connected account (reverse the transfer first)."""
    body = await request.read()
    p = parse_params(body.decode())
    if api_key(request) is None or not str(p.get("amount", "0")).isdigit():
        return await proxy(request)  # localstripe refuses these itself
    async with STATE.money:
        charge = await refunded_charge(request, p)
        if not charge:
            return await proxy(request)
        refunded = charge.get("amount_refunded", 0)
        left = charge["amount"] - refunded
        if "amount" not in p:  # localstripe would refund the whole charge again
            body += f"{'&' if body else ''}amount={left}".encode()
        amount, held = int(p.get("amount", left)), STATE.transferred_from(charge["id"])
        if left == 0:
            error = StripeError(400, f"Charge {charge['id']} has already been refunded.", "charge_already_refunded")
        elif amount > left:
            error = StripeError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                                "amount_too_large", "amount")
        elif held + refunded + amount > charge["amount"]:
            error = StripeError(400, f"Charge {charge['id']} has {held} transferred to connected accounts and "
                                f"{refunded} refunded of {charge['amount']}: reverse the transfer first "
                                f"(POST /v1/transfers/{{id}}/reversals) to refund {amount}.",
                                "balance_insufficient", "amount")
        else:
            return await proxy(request, body)
        return error.response()


# --- balance transactions and the balance ---

async def imported(request) -> None:
    """localstripe's charges and refunds made since the last look, with Stripe's fee (see fake_stripe_balance)."""
    await balance.import_localstripe(lambda path: upstream_get(request, path))


async def expanded_source(request, txn: dict) -> dict:
    """`expand[]=data.source` / `expand[]=source`: the charge, refund, transfer or reversal itself."""
    source = txn["source"]
    if source.startswith("ch_"):
        found = await upstream_get(request, f"/v1/charges/{source}")
    elif source.startswith("re_"):
        found = await upstream_get(request, f"/v1/refunds/{source}")
    elif source.startswith("trr_"):
        found = next((r for t in STATE.transfers.values() for r in t["reversals"]["data"] if r["id"] == source), None)
    else:
        found = STATE.transfers.get(source)
    return {**txn, "source": found or source}


def expands(params: dict, path: str) -> bool:
    wanted = params.get("expand") or {}
    return path in (wanted.values() if isinstance(wanted, dict) else [wanted])


@stripe_api("created", "type", "source", "currency", "payout", "limit", "starting_after", "ending_before")
async def list_balance_transactions(request, p):
    await imported(request)
    listed = page(balance.listed(p, STATE.now()), p, "/v1/balance_transactions")
    if expands(p, "data.source"):
        listed["data"] = [await expanded_source(request, txn) for txn in listed["data"]]
    return listed


@stripe_api()
async def retrieve_balance_transaction(request, p):
    await imported(request)
    txn = balance.STORE.rows.get(request.match_info["id"])
    if txn is None:
        raise StripeError(404, f"No such balance transaction: '{request.match_info['id']}'", "resource_missing", "id")
    txn = balance.with_status(txn, STATE.now())
    return await expanded_source(request, txn) if expands(p, "source") else txn


@stripe_api()
async def retrieve_balance(request, p):
    await imported(request)
    return balance.balance(STATE.now())


# --- test-only controls ---

async def control_balance_transaction(request):
    p = await control_params(request)
    txn = balance.record(p["type"], int(p["amount"]), int(p.get("fee", 0)), p["source"], p.get("currency", "cny"),
                         description=p.get("description"))
    return web.json_response(txn)


async def control_localstripe_data(request):
    """localstripe forgets its data: so do the balance transactions imported from it."""
    balance.STORE.reset()
    balance.STORE.clock = STATE.now
    return await proxy(request)


async def control_params(request) -> dict:
    return {**parse_params(request.query_string), **parse_params(await request.text())}


def control_account(request) -> dict:
    if request.match_info["id"] not in STATE.accounts:
        raise web.HTTPNotFound(text="No such account")
    return STATE.accounts[request.match_info["id"]]


async def control_complete_onboarding(request):
    complete_onboarding(account := control_account(request))
    return web.json_response(account)


async def control_disable_transfers(request):
    account = control_account(request)
    account.update(payouts_enabled=False, capabilities={**account["capabilities"], "transfers": "inactive"})
    account["requirements"].update(currently_due=["external_account"], past_due=["external_account"],
                                   disabled_reason="requirements.past_due")
    return web.json_response(account)


async def control_clock(request):
    STATE.offset += int((await control_params(request)).get("advance_seconds", 0))
    return web.json_response({"now": STATE.now(), "offset": STATE.offset})


async def control_transfers(request):
    return web.json_response({"object": "list", "data": list(STATE.transfers.values())})


async def control_idempotency_reset(request):
    STATE.idempotent.clear()
    return web.json_response({"reset": "idempotency"})


async def control_reset(request):
    STATE.reset()
    return web.json_response({"reset": True})


def make_app(upstream: str) -> web.Application:
    app = web.Application(middlewares=[idempotency])
    app[UPSTREAM] = upstream.rstrip("/")

    async def session(app):
        app[SESSION] = ClientSession()
        yield
        await app[SESSION].close()
    app.cleanup_ctx.append(session)
    fake_stripe_disputes.mount(app, sys.modules[__name__])
    for method, path, handler in [
            ("POST", "/v1/accounts", create_account), ("GET", "/v1/accounts/{id}", retrieve_account),
            ("POST", "/v1/accounts/{id}", update_account), ("POST", "/v1/account_links", create_account_link),
            ("POST", "/v1/transfers", create_transfer), ("GET", "/v1/transfers", list_transfers),
            ("GET", "/v1/transfers/{id}", retrieve_transfer), ("POST", "/v1/transfers/{id}", update_transfer),
            ("POST", "/v1/transfers/{id}/reversals", create_reversal),
            ("GET", "/v1/transfers/{id}/reversals", list_reversals), ("POST", "/v1/refunds", create_refund),
            ("GET", "/_connect/onboard/{token}", onboard),
            ("POST", "/_connect/accounts/{id}/complete_onboarding", control_complete_onboarding),
            ("POST", "/_connect/accounts/{id}/disable_transfers", control_disable_transfers),
            ("POST", "/_connect/clock", control_clock), ("GET", "/_connect/transfers/all", control_transfers),
            ("POST", "/_connect/idempotency/reset", control_idempotency_reset),
            ("POST", "/_connect/reset", control_reset),
            ("POST", "/_connect/balance_transactions", control_balance_transaction),
            ("DELETE", "/_config/data", control_localstripe_data),
            ("GET", "/v1/balance_transactions", list_balance_transactions),
            ("GET", "/v1/balance_transactions/{id}", retrieve_balance_transaction),
            ("GET", "/v1/balance/history", list_balance_transactions),
            ("GET", "/v1/balance/history/{id}", retrieve_balance_transaction),
            ("GET", "/v1/balance", retrieve_balance),
            ("*", "/{tail:.*}", proxy)]:  # last: everything else is localstripe's, /_config/ and Stripe.js too
        app.router.add_route(method, path, handler)
    return app


if __name__ == "__main__":
    web.run_app(make_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), print=None)
