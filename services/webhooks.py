"""Webhooks (issue 20): endpoints, events, and what each endpoint is owed.

`emit(type, resource, data, audience)` is called by the domain services at each state change, in
their transaction: it writes the event and one delivery row per endpoint that asked for the type and
may see the event, and asks for the delivery job after commit (services.tasks outbox). A rolled-back
change therefore never produces an event. Sending, signing and retrying live in
services/runners/webhooks.py.

Visibility: an event names the accounts that may see it (`audience`, principals as
`users.account_id`), or is `public` (anyone may, as a published public tender). Payloads carry ids,
statuses and what every member of the audience may read — never a sealed bid's amount, never a
message's text. Staff endpoints (`platform`) hear every event.
"""
import ipaddress
import secrets
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, insert, select

from extensions import db
from models import Membership, Organisation, User, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.types import utcnow
from services import bulk, notifications, permissions, tasks
from services.errors import NotFound, check
from services.pagination import Page, paginate

# Every event type, including those of features still to come (messages, contests, usage), so that
# endpoints can subscribe to them now.
EVENT_TYPES = (
    "tender.published", "tender.closed", "tender.awarded", "tender.cancelled",
    "tender.technical_opened", "tender.prices_opened", "tender.bafo_opened",
    "bid.submitted", "bid.advanced", "bid.rejected", "bid.withdrawn", "bid.final_offer_submitted",
    "question.answered", "addendum.published", "contract.created",
    "milestone.funded", "milestone.delivered", "milestone.changes_requested", "milestone.released",
    "usage.recorded", "kpi_result.recorded",
    "dispute.opened", "dispute.evidence_added", "dispute.resolved",
    "review.published", "payout.paid", "payout.failed",
    "message.received", "contest.entry_submitted", "contest.awarded",
)
ALL = "*"
MAX_ENDPOINTS = 20
ROTATION_OVERLAP = timedelta(hours=24)


def _new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


# --- emitting --------------------------------------------------------------------------------------

def emit(type_: str, resource: str, data: dict, audience: Iterable[int | None] = (), *,
         public: bool = False) -> WebhookEvent:
    """Store event `type_` about `resource` ("bid:12") with `data`, seen by the accounts in `audience`
    (or by anyone when `public`), and a delivery for each endpoint owed it; deliveries go after commit."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type_!r}")
    accounts = sorted({a for a in audience if a is not None})
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.disabled_at.is_(None), WebhookEndpoint.deleted_at.is_(None))
    if not public:
        stmt = stmt.where((WebhookEndpoint.platform.is_(True)) | WebhookEndpoint.account_id.in_(accounts))
    # One statement writes the event and says whether any endpoint may be owed it: most events have no
    # endpoint to go to, and then the endpoints are not read (a hot write saves a round trip).
    event, candidates = db.session.execute(
        insert(WebhookEvent).values(public_id="evt_" + secrets.token_hex(12), type=type_, resource=resource,
                                    data=data, audience=accounts, public=public, created_at=utcnow())
        .returning(WebhookEvent, exists(stmt.with_only_columns(WebhookEndpoint.id)))).one()
    if not candidates:
        return event
    for endpoint in db.session.scalars(stmt.order_by(WebhookEndpoint.id)):
        if ALL in endpoint.events or type_ in endpoint.events:
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, resource=resource,
                                       next_attempt_at=event.created_at)
            db.session.add(delivery)
            db.session.flush()
            tasks.after_commit("deliver_webhook", delivery.id)
    return event


def emit_many(type_: str, events: Iterable[tuple[str, dict, Iterable[int | None]]]) -> int:
    """`emit` for many events of one type, each (resource, data, audience), as a sweep over thousands
    of periods makes them: the endpoints read once, the events and their deliveries written in one
    INSERT each, one delivery job asked for per delivery. Returns how many events were written."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type_!r}")
    now = utcnow()
    values = [{"public_id": "evt_" + secrets.token_hex(12), "type": type_, "resource": resource, "data": data,
               "audience": sorted({a for a in audience if a is not None}), "public": False, "created_at": now}
              for resource, data, audience in events]
    if not values:
        return 0
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.disabled_at.is_(None), WebhookEndpoint.deleted_at.is_(None)).order_by(WebhookEndpoint.id))
        if ALL in e.events or type_ in e.events]
    if not endpoints:  # nobody is owed a delivery: the events only
        bulk.insert_rows(WebhookEvent.__table__, values)
        return len(values)
    ids = db.session.scalars(insert(WebhookEvent).returning(WebhookEvent.id, sort_by_parameter_order=True),
                             values).all()
    owed = [{"endpoint_id": endpoint.id, "event_id": event_id, "resource": event["resource"],
             "next_attempt_at": now, "created_at": now}
            for event_id, event in zip(ids, values, strict=True) for endpoint in endpoints
            if endpoint.platform or endpoint.account_id in event["audience"]]
    if owed:
        for delivery_id in db.session.scalars(insert(WebhookDelivery).returning(
                WebhookDelivery.id, sort_by_parameter_order=True), owed):
            tasks.after_commit("deliver_webhook", delivery_id)
    return len(ids)


# Payload builders: the fields every member of an event's audience may read (the API's rules).

def tender_data(tender) -> dict:
    return {"tender": {"id": tender.id, "title": tender.title, "category": tender.category,
                       "status": tender.status, "brand_id": tender.brand_id, "sealed": tender.sealed,
                       "invited_only": tender.invited_only, "two_envelope": tender.two_envelope}}


def tender_audience(tender) -> dict:
    """An invited-only tender is seen by its brand and its invited providers; a public one by anyone."""
    if tender.invited_only:
        return {"audience": [tender.brand_id, *(i.provider_id for i in tender.invitations)]}
    return {"audience": [tender.brand_id], "public": True}


def bid_data(bid) -> dict:
    """A bid's identity and status: never its amount or proposal (sealed to the brand until opening)."""
    data = {"id": bid.id, "tender_id": bid.tender_id, "status": bid.status, "revision": bid.revision}
    if not bid.tender.sealed:  # who bid on a sealed tender is hidden from the brand until opening, as on the API
        data["provider_id"] = bid.provider_id
    return {"bid": data}


def bid_audience(bid) -> list[int]:
    return [bid.tender.brand_id, bid.provider_id]


def milestone_data(milestone) -> dict:
    return milestone_row_data(milestone, milestone.contract.currency, milestone.status)


def milestone_row_data(milestone, currency: str, status: str) -> dict:
    """`milestone_data` of a milestone read as a row (id, contract_id, title, amount), given its
    contract's currency and the status to report (a sweep's rows, not objects)."""
    return {"milestone": {"id": milestone.id, "contract_id": milestone.contract_id, "title": milestone.title,
                          "amount": milestone.amount, "currency": currency, "status": status}}


def dispute_data(dispute) -> dict:
    return {"dispute": {"id": dispute.id, "milestone_id": dispute.milestone_id,
                        "contract_id": dispute.milestone.contract_id, "status": dispute.status,
                        "provider_amount": dispute.provider_amount}}


def payout_data(payout) -> dict:
    return {"payout": {"id": payout.id, "amount": payout.amount, "currency": payout.currency, "status": payout.status,
                       "batch_id": payout.batch_id}}


def contract_audience(contract) -> list[int]:
    return [contract.brand_id, contract.provider_id]


def contract_created(contract, **extra) -> WebhookEvent:
    """`contract.created` to both parties: a tender's award or a bought contest entry (`extra`: where
    the entry came from)."""
    return emit("contract.created", f"contract:{contract.id}",
                {"contract": {"id": contract.id, "tender_id": contract.tender_id, "bid_id": contract.bid_id,
                              "contest_entry_id": contract.contest_entry_id, **extra,
                              "brand_id": contract.brand_id, "provider_id": contract.provider_id,
                              "amount": contract.amount, "currency": contract.currency,
                              "status": contract.status}},
                contract_audience(contract))


def tender_event(type_: str, tender) -> WebhookEvent:
    return emit(type_, f"tender:{tender.id}", tender_data(tender), **tender_audience(tender))


def bid_event(type_: str, bid) -> WebhookEvent:
    return emit(type_, f"bid:{bid.id}", bid_data(bid), bid_audience(bid))


def milestone_event(type_: str, milestone) -> WebhookEvent:
    return emit(type_, f"milestone:{milestone.id}", milestone_data(milestone), contract_audience(milestone.contract))


def dispute_event(type_: str, dispute) -> WebhookEvent:
    return emit(type_, f"dispute:{dispute.id}", dispute_data(dispute), contract_audience(dispute.milestone.contract))


# --- managing endpoints ----------------------------------------------------------------------------

def _url_error(url: str):
    """The URL rules checked when an endpoint is saved; the address itself is checked at delivery time,
    after DNS (services.runners.webhooks.resolve_target)."""
    parts = urlsplit(url or "")
    allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    schemes = ("https", "http") if allow_private else ("https",)
    if len(url) > 2000 or not parts.hostname or parts.scheme not in schemes:
        return _l("Enter an https:// URL.")
    if parts.username or parts.password:
        return _l("The URL must not contain a user name or password.")
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if not allow_private and (host == "localhost" or host.endswith(".localhost")
                              or (literal is not None and not literal.is_global)):
        return _l("This address is private: webhooks go to public https addresses only.")
    return None


def _events_error(events):
    if not events or len(events) > len(EVENT_TYPES) or any(e != ALL and e not in EVENT_TYPES for e in events):
        return _l("Choose event types from the list (or * for every event).")
    return None


def _require_manager(actor: User) -> None:
    if not actor.is_admin:
        permissions.require(actor, "webhook.manage")


def create_endpoint(actor: User, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    """A new endpoint of the actor's organisation (staff: a platform-wide one); its secret is in the result."""
    _require_manager(actor)
    url, description = (url or "").strip(), (description or "").strip()
    count = db.session.scalar(select(db.func.count()).select_from(WebhookEndpoint).where(
        WebhookEndpoint.account_id == actor.account_id, WebhookEndpoint.deleted_at.is_(None)))
    check({"url": _url_error(url) or (count >= MAX_ENDPOINTS and _l("An account has at most %(n)s endpoints.",
                                                                     n=MAX_ENDPOINTS)),
           "events": _events_error(events),
           "description": len(description) > 500 and _l("Keep the description under 500 characters.")})
    endpoint = WebhookEndpoint(account_id=actor.account_id, created_by_id=actor.id, platform=actor.is_admin,
                               url=url, events=sorted(set(events)), description=description, secret=_new_secret())
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def endpoint_for(actor: User, endpoint_id: int, *, manage: bool = True) -> WebhookEndpoint:
    """The actor's organisation's endpoint: another's is 404, a member who may not manage it 403."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None or endpoint.account_id != actor.account_id:
        raise NotFound()
    if manage:
        _require_manager(actor)
    return endpoint


def endpoints_of(actor: User) -> list[WebhookEndpoint]:
    _require_manager(actor)
    return list(db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == actor.account_id, WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.id)))


def update_endpoint(actor: User, endpoint_id: int, *, url: str | None = None, events: list[str] | None = None,
                    description: str | None = None, enabled: bool | None = None) -> WebhookEndpoint:
    """Change what was given; `enabled` switches it off by hand or on again (the failure count starts over)."""
    endpoint = endpoint_for(actor, endpoint_id)
    check({"url": url is not None and _url_error(url.strip()),
           "events": events is not None and _events_error(events),
           "description": description is not None and len(description.strip()) > 500
           and _l("Keep the description under 500 characters.")})
    if url is not None:
        endpoint.url = url.strip()
    if events is not None:
        endpoint.events = sorted(set(events))
    if description is not None:
        endpoint.description = description.strip()
    if enabled is True and endpoint.disabled_at is not None:
        endpoint.disabled_at = endpoint.disabled_reason = None
        endpoint.failure_streak = 0
    elif enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "owner"
    return endpoint


def delete_endpoint(actor: User, endpoint_id: int) -> None:
    endpoint = endpoint_for(actor, endpoint_id)
    endpoint.deleted_at = utcnow()
    if endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "owner"


def rotate_secret(actor: User, endpoint_id: int, overlap: timedelta = ROTATION_OVERLAP) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for `overlap`, so receivers can switch over."""
    endpoint = endpoint_for(actor, endpoint_id)
    endpoint.previous_secret, endpoint.previous_expires_at = endpoint.secret, utcnow() + overlap
    endpoint.secret = _new_secret()
    return endpoint


def deliveries_of(actor: User, endpoint_id: int, page: int = 1, per_page: int = 20) -> Page:
    endpoint = endpoint_for(actor, endpoint_id)
    return paginate(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                    .order_by(WebhookDelivery.id.desc()), page, per_page)


def redeliver(actor: User, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery (the log keeps the first one as it ended)."""
    endpoint = endpoint_for(actor, endpoint_id)
    old = db.session.get(WebhookDelivery, delivery_id)
    if old is None or old.endpoint_id != endpoint.id:
        raise NotFound()
    again = WebhookDelivery(endpoint_id=endpoint.id, event_id=old.event_id, resource=old.resource,
                            next_attempt_at=utcnow())
    db.session.add(again)
    db.session.flush()
    tasks.after_commit("deliver_webhook", again.id)
    return again


def disable_for_failures(endpoint: WebhookEndpoint) -> None:
    """Switch off an endpoint that kept failing and tell its organisation's owner (in-app and e-mail)."""
    endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "failures"
    owners = db.session.scalars(select(Membership.user_id).join(Organisation).where(
        Organisation.account_user_id == endpoint.account_id, Membership.role == "owner"))
    notifications.notify([endpoint.account_id, *owners], "webhook_disabled", personal=True, url=endpoint.url,
                         failures=endpoint.failure_streak)
