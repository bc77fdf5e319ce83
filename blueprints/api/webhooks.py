"""Webhook endpoints: register, change, rotate the secret, read the delivery log, redeliver."""
from datetime import timedelta

from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.webhooks import (
    DeliveryPage,
    DeliveryQuery,
    EndpointCreated,
    EndpointIn,
    EndpointList,
    EndpointOut,
    EndpointPatch,
    RotateIn,
    WebhookDeliveryOut,
)
from models.types import utcnow
from services import webhooks

ERRORS = (403, 404, 422)


def endpoint_out(endpoint, cls=EndpointOut, **extra):
    overlap = endpoint.previous_expires_at if endpoint.previous_expires_at and endpoint.previous_expires_at > utcnow() \
        else None
    return cls(id=endpoint.id, url=endpoint.url, events=endpoint.events, description=endpoint.description,
               enabled=endpoint.disabled_at is None, disabled_at=endpoint.disabled_at,
               disabled_reason=endpoint.disabled_reason, failure_streak=endpoint.failure_streak,
               rotation_overlap_until=overlap, created_at=endpoint.created_at, **extra)


def delivery_out(row) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(id=row.id, event_id=row.event.public_id, type=row.event.type, status=row.status,
                       status_code=row.status_code, attempts=row.attempts, response_ms=row.response_ms, error=row.error,
                       next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
                       delivered_at=row.delivered_at, created_at=row.created_at)


@api_route("/webhooks", "POST", summary="Register a webhook endpoint", tag="Webhooks", body=EndpointIn,
           response=EndpointCreated, status=201, errors=ERRORS)
def create_webhook(body: EndpointIn):
    """The organisation's owner (staff: a platform-wide endpoint). The answer holds the signing secret,
    shown this once. Each delivery is a `POST` of `{id, type, created_at, data}` with the headers
    `Witkey-Event-Id` and `Witkey-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    endpoint = webhooks.create_endpoint(current_api_user(), body.url, body.events, body.description)
    return endpoint_out(endpoint, EndpointCreated, secret=endpoint.secret)


@api_route("/webhooks", summary="The organisation's webhook endpoints", tag="Webhooks", response=EndpointList,
           errors=(403,))
def list_webhooks():
    return EndpointList(items=[endpoint_out(e) for e in webhooks.endpoints_of(current_api_user())])


@api_route("/webhooks/<int:endpoint_id>", summary="A webhook endpoint", tag="Webhooks", response=EndpointOut,
           errors=(403, 404))
def get_webhook(endpoint_id: int):
    return endpoint_out(webhooks.endpoint_for(current_api_user(), endpoint_id))


@api_route("/webhooks/<int:endpoint_id>", "PATCH", summary="Change a webhook endpoint (partial), switch it off or on",
           tag="Webhooks", body=EndpointPatch, response=EndpointOut, errors=ERRORS)
def update_webhook(endpoint_id: int, body: EndpointPatch):
    return endpoint_out(webhooks.update_endpoint(current_api_user(), endpoint_id, url=body.url, events=body.events,
                                                 description=body.description, enabled=body.enabled))


@api_route("/webhooks/<int:endpoint_id>", "DELETE", summary="Delete a webhook endpoint", tag="Webhooks", status=204,
           errors=(403, 404))
def delete_webhook(endpoint_id: int):
    webhooks.delete_endpoint(current_api_user(), endpoint_id)
    return ""


@api_route("/webhooks/<int:endpoint_id>/rotate-secret", "POST", summary="Rotate the signing secret", tag="Webhooks",
           body=RotateIn, response=EndpointCreated, errors=ERRORS)
def rotate_webhook_secret(endpoint_id: int, body: RotateIn):
    """A new secret, shown this once; the old one signs beside it (a second `v1=`) for `overlap_hours`."""
    endpoint = webhooks.rotate_secret(current_api_user(), endpoint_id, timedelta(hours=body.overlap_hours))
    return endpoint_out(endpoint, EndpointCreated, secret=endpoint.secret)


@api_route("/webhooks/<int:endpoint_id>/deliveries", summary="The endpoint's delivery log, newest first",
           tag="Webhooks", query=DeliveryQuery, response=DeliveryPage, errors=(403, 404))
def list_webhook_deliveries(endpoint_id: int, query: DeliveryQuery):
    page = webhooks.deliveries_of(current_api_user(), endpoint_id, query.page, query.per_page)
    return DeliveryPage(items=[delivery_out(d) for d in page.items], page=page.page, per_page=page.per_page,
                        total=page.total, total_is_estimate=page.total_is_estimate)


@api_route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", "POST",
           summary="Send a delivery's event again", tag="Webhooks", response=WebhookDeliveryOut, status=201,
           errors=(403, 404))
def redeliver_webhook(endpoint_id: int, delivery_id: int):
    """A new delivery of the same event (same `Witkey-Event-Id`: receivers de-duplicate by it)."""
    return delivery_out(webhooks.redeliver(current_api_user(), endpoint_id, delivery_id))
