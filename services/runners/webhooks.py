"""Sending webhook deliveries: signed, SSRF-guarded, retried with backoff, in order per resource.

- Signature (Stripe's scheme): `Witkey-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
  during a secret rotation's overlap both secrets sign (`v1=<new>,v1=<old>`).
- SSRF: the host is resolved once, every address checked (https only; no private, loopback,
  link-local, reserved or metadata address unless WEBHOOK_ALLOW_PRIVATE), and the connection goes to
  the checked address itself (no second lookup an attacker's DNS could answer differently); TLS still
  verifies the host name. Redirects are not followed (a 3xx is a failed attempt). 5 s timeouts,
  at most 64 KiB of the answer read.
- At least once: an attempt first takes a lease (next_attempt_at moved on, committed), so a twin
  worker or the retry sweep leaves it alone while it is out; no transaction is held while sending.
- Order: a delivery waits while an earlier one for the same endpoint and resource is pending; when
  that one ends (delivered or given up) the next is queued.
- Backoff 30 s, 1 min, 2 min… up to 6 h, for 3 days from the event; then the delivery has failed.
  WEBHOOK_DISABLE_AFTER failed attempts in a row disable the endpoint and tell its owner.
"""
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from extensions import db
from models import WebhookDelivery, WebhookEndpoint
from models.status import transition
from models.types import utcnow
from models.webhook import DeliveryStatus
from services import tasks, webhooks

TIMEOUT = 5
MAX_BODY = 64 * 1024
LEASE = timedelta(seconds=60)
RETRY_FOR = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)
USER_AGENT = "Witkey-Webhooks/1"
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}  # cloud metadata services (AWS, Alibaba Cloud)


class Refused(Exception):
    """The URL may not be called (scheme, or an address that is not public)."""


# --- signing ---------------------------------------------------------------------------------------

def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), b"%d." % timestamp + body, hashlib.sha256).hexdigest()


def signature_header(endpoint: WebhookEndpoint, timestamp: int, body: bytes, now=None) -> str:
    secrets_ = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_expires_at and endpoint.previous_expires_at > (now or utcnow()):
        secrets_.append(endpoint.previous_secret)
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets_)])


def payload(event) -> bytes:
    return json.dumps({"id": event.public_id, "type": event.type, "created_at": event.created_at.isoformat(),
                       "data": event.data}, separators=(",", ":"), sort_keys=True).encode()


# --- the guarded request ---------------------------------------------------------------------------

def _allowed_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA


def resolve_target(url: str, allow_private: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, checked IP) for `url`, or Refused."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise Refused("only https URLs are called")
    host = parts.hostname
    if not host:
        raise Refused("no host")
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise Refused(f"cannot resolve {host}")
    if not allow_private and not all(_allowed_address(a) for a in addresses):
        raise Refused(f"{host} resolves to a private or reserved address")
    return scheme, host, port, str(addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP, verifying the certificate for the URL's host name."""

    def __init__(self, host: str, ip: str, port: int, **kwargs):
        super().__init__(host, port, **kwargs)
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, ip: str, port: int, **kwargs):
        super().__init__(host, port, **kwargs)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


@dataclass
class Outcome:
    status_code: int | None
    response_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict, *, allow_private: bool) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, ip = resolve_target(url, allow_private)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = (_PinnedHTTPSConnection(host, ip, port, timeout=TIMEOUT, context=ssl.create_default_context())
                if scheme == "https" else _PinnedHTTPConnection(host, ip, port, timeout=TIMEOUT))
        try:
            conn.request("POST", path, body=body, headers={**headers, "Host": parts.netloc.rpartition("@")[2]})
            response = conn.getresponse()
            response.read(MAX_BODY)  # never more: a huge answer must not fill the worker's memory
            status = response.status
        finally:
            conn.close()
    except Refused as exc:
        return Outcome(None, elapsed(), f"refused: {exc}")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, elapsed(), f"{type(exc).__name__}: {exc}"[:500])
    error = None if 200 <= status < 300 else (
        "redirect not followed" if 300 <= status < 400 else f"HTTP {status}")
    return Outcome(status, elapsed(), error)


# --- attempts --------------------------------------------------------------------------------------

def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def _blocked(delivery: WebhookDelivery) -> bool:
    """An earlier delivery of the same resource to the same endpoint is still pending."""
    return db.session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == delivery.endpoint_id, WebhookDelivery.resource == delivery.resource,
        WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.id < delivery.id).limit(1)) is not None


def _claim(delivery_id: int, now) -> WebhookDelivery | None:
    """Take the lease on a due, unblocked, pending delivery of an enabled endpoint, and commit it."""
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if (delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.endpoint.disabled_at is not None
            or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now) or _blocked(delivery)):
        db.session.rollback()
        return None
    delivery.next_attempt_at = now + LEASE
    db.session.commit()
    return delivery


def attempt(delivery_id: int, now=None) -> str | None:
    """One attempt at a delivery (the job); the outcome ("delivered", "retry", "failed") or None when
    it is not this one's turn. Commits."""
    now = now or utcnow()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint, event = delivery.endpoint, delivery.event
    body, timestamp = payload(event), int(now.timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Witkey-Event-Id": event.public_id,
               "Witkey-Signature": signature_header(endpoint, timestamp, body, now)}
    url = endpoint.url
    db.session.commit()  # no transaction open while the receiver answers
    outcome = post(url, body, headers, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    endpoint = delivery.endpoint
    if delivery.status != DeliveryStatus.PENDING:  # a job that outlived its lease: another one finished it
        db.session.rollback()
        return None
    delivery.attempts += 1
    delivery.status_code, delivery.response_ms, delivery.error = outcome.status_code, outcome.response_ms, outcome.error
    delivery.last_attempt_at = now
    if outcome.ok:
        transition(delivery, DeliveryStatus.DELIVERED)
        delivery.delivered_at, delivery.next_attempt_at = utcnow(), None
        endpoint.failure_streak = 0
    else:
        endpoint.failure_streak += 1
        retry_at = now + backoff(delivery.attempts)
        if retry_at > delivery.event.created_at + RETRY_FOR:
            transition(delivery, DeliveryStatus.FAILED)
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = retry_at
        if endpoint.disabled_at is None and endpoint.failure_streak >= current_app.config["WEBHOOK_DISABLE_AFTER"]:
            webhooks.disable_for_failures(endpoint)
    if delivery.status != DeliveryStatus.PENDING:
        _queue_next(delivery)
    result = "retry" if delivery.status == DeliveryStatus.PENDING else delivery.status
    db.session.commit()
    return result


def _queue_next(delivery: WebhookDelivery) -> None:
    """The next delivery of the same resource to the same endpoint may go now."""
    following = db.session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == delivery.endpoint_id, WebhookDelivery.resource == delivery.resource,
        WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.id > delivery.id,
    ).order_by(WebhookDelivery.id).limit(1))
    if following is not None:
        tasks.after_commit("deliver_webhook", following)


def due(now=None, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (first attempts whose job was lost, and retries)."""
    now = now or utcnow()
    earlier = aliased(WebhookDelivery)
    waiting = select(earlier.id).where(  # a delivery behind an earlier pending one of its resource waits
        earlier.endpoint_id == WebhookDelivery.endpoint_id, earlier.resource == WebhookDelivery.resource,
        earlier.status == DeliveryStatus.PENDING, earlier.id < WebhookDelivery.id)
    return list(db.session.scalars(select(WebhookDelivery.id).join(WebhookEndpoint).where(
        WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now,
        WebhookEndpoint.disabled_at.is_(None), ~waiting.exists()).order_by(WebhookDelivery.id).limit(limit)))


def retry_due(now=None) -> dict:
    """The periodic sweep: attempt every due delivery, oldest first (so order per resource holds)."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    for delivery_id in due(now):
        outcome = attempt(delivery_id, now)
        counts[str(outcome)] = counts.get(str(outcome), 0) + 1
    return counts
