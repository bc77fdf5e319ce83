"""Stripe's balance for the fake Connect server (tests/support/fake_stripe_connect.py): balance transactions
with Stripe's card fee, and the balance they add up to. localstripe keeps fee-less balance transactions only
under /v1/balance/history and has no filters, so this store is the one the API answers from.

- Card charges: localstripe's succeeded charges and refunds are imported (same `txn_` ids, so
  a charge's `balance_transaction` resolves here) the first time anyone reads balance data after they
  appear; a charge gets Stripe's fee (2.9 % + 30 minor units, half-up) and `net = amount − fee`; a refund
  is a `refund` row with a negative amount and no fee: Stripe keeps the charge's fee on a refund.
- Transfers and their reversals (made by the Connect server itself) are `transfer` (negative) and
  `transfer_refund` (positive) rows, recorded when they are made.
- Anything else Stripe moves (dispute withdrawals and reinstatements with their fees are `adjustment`
  rows; Stripe's own charges are `stripe_fee`) is added with `record(type, amount, fee, source, currency)`:
  a test server module for disputes calls it the same way.
- A row is `pending` until its `available_on` (charges: AVAILABLE_AFTER later), then `available`;
  GET /v1/balance sums `net` per currency over both, as Stripe does.
"""
import secrets

FEE_BPS, FEE_FIXED = 290, 30  # Stripe's standard card pricing: 2.9 % + 30 minor units
AVAILABLE_AFTER = 2 * 24 * 3600  # card funds become available two days after the charge
TYPES = ("charge", "refund", "transfer", "transfer_refund", "adjustment", "stripe_fee", "payout")
CATEGORIES = {"charge": "charge", "refund": "refund", "transfer": "transfer", "transfer_refund": "transfer_reversal",
              "adjustment": "dispute", "stripe_fee": "fee", "payout": "payout"}


def card_fee(amount: int) -> int:
    """Stripe's fee on a card charge of `amount` minor units."""
    return (amount * FEE_BPS + 5000) // 10000 + FEE_FIXED


class Store:
    def __init__(self):
        self.reset()

    def reset(self):
        self.rows: dict[str, dict] = {}  # id → balance transaction, oldest first
        self.clock = None  # set by the server: its (movable) now

    def now(self, created: int | None = None) -> int:
        return created if created is not None else self.clock() if self.clock else 0


STORE = Store()


def record(type: str, amount: int, fee: int, source: str, currency: str, *, created: int | None = None,
           id: str | None = None, description: str | None = None, available_after: int = 0) -> dict:
    """One balance transaction (Stripe's shape); `amount` is signed, `fee` ≥ 0, `net = amount − fee`."""
    assert type in TYPES, type
    created = STORE.now(created)
    txn = {"id": id or "txn_" + secrets.token_hex(12), "object": "balance_transaction", "amount": amount,
           "available_on": created + available_after, "created": created, "currency": currency.lower(),
           "description": description, "exchange_rate": None, "fee": fee,
           "fee_details": [{"amount": fee, "application": None, "currency": currency.lower(),
                            "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
           "net": amount - fee, "reporting_category": CATEGORIES[type], "source": source, "status": "pending",
           "type": type}
    STORE.rows[txn["id"]] = txn
    return txn


def with_status(txn: dict, now: int) -> dict:
    return {**txn, "status": "available" if now >= txn["available_on"] else "pending"}


async def import_localstripe(fetch) -> None:
    """Take the balance transactions of localstripe's new succeeded charges and refunds. `fetch(path)` is a GET
    on localstripe returning its JSON (or None). Its own /v1/balance/history list is broken, so they are read
    from the charges and refunds, which carry their `balance_transaction` id."""
    for path, kind in (("/v1/charges", "charge"), ("/v1/refunds", "refund")):
        async for obj in _all(fetch, path):
            txn_id = obj.get("balance_transaction")
            if obj.get("status") != "succeeded" or not txn_id or txn_id in STORE.rows:
                continue
            charge = kind == "charge"
            record(kind, obj["amount"] if charge else -obj["amount"], card_fee(obj["amount"]) if charge else 0,
                   obj["id"], obj["currency"], created=obj["created"], id=txn_id, description=obj.get("description"),
                   available_after=AVAILABLE_AFTER if charge else 0)


async def _all(fetch, path: str):
    after = None
    while True:
        page = await fetch(f"{path}?limit=100" + (f"&starting_after={after}" if after else ""))
        if not page or not page.get("data"):
            return
        for obj in page["data"]:
            yield obj
        if not page.get("has_more"):
            return
        after = page["data"][-1]["id"]


def listed(params: dict, now: int) -> list[dict]:
    """The rows matching Stripe's list filters (type, source, currency, created[gt|gte|lt|lte]), newest first."""
    bounds = params.get("created")
    if bounds is not None and not isinstance(bounds, dict):
        bounds = {"eq": bounds}
    tests = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__, "eq": int.__eq__}

    def keep(txn: dict) -> bool:
        if any(params.get(name) not in (None, txn[name]) for name in ("type", "source")):
            return False
        if params.get("currency") and params["currency"].lower() != txn["currency"]:
            return False
        return all(tests[op](txn["created"], int(value)) for op, value in (bounds or {}).items())

    rows = sorted(STORE.rows.values(), key=lambda t: t["created"], reverse=True)  # stable: newest first
    return [with_status(txn, now) for txn in rows if keep(txn)]


def balance(now: int) -> dict:
    """Stripe's balance object: net of every row per currency, split into available and pending."""
    sums: dict[str, dict[str, int]] = {}
    for txn in STORE.rows.values():
        state = with_status(txn, now)["status"]
        sums.setdefault(txn["currency"], {"available": 0, "pending": 0})[state] += txn["net"]
    return {"object": "balance", "livemode": False,
            **{state: [{"amount": amounts[state], "currency": currency, "source_types": {"card": amounts[state]}}
                       for currency, amounts in sorted(sums.items())] for state in ("available", "pending")}}
