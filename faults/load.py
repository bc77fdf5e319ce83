"""The load: brands and providers working through the HTTP API with API tokens, as clients do.

Each flow: a brand posts a tender, a provider bids, the brand closes bidding and awards, staff record
the brand's bank transfer, the brand funds the milestone (ledger backend), the provider delivers, the
brand releases, and both review. Every write carries an Idempotency-Key that is also its marker (in
the tender's title, the bid's proposal, the deposit's reference, the delivery note, the review), and
every attempt is recorded with its start, end and answer, so the checks can tell afterwards which
writes committed and when. A write answered with a 5xx, or not answered at all, is retried with the
same key (what the key is for) until it gets an answer or `retry_for` runs out; a refusal (4xx) ends
that flow, and the thread starts another."""
import itertools
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Attempt:
    start: datetime
    end: datetime
    status: int | None  # None: no answer (connection refused or dropped, timeout)
    error: str = ""


@dataclass
class Write:
    op: str
    user_id: int
    key: str
    path: str
    attempts: list[Attempt] = field(default_factory=list)
    body: dict | None = None  # the last answer's JSON
    fault: str = ""  # the fault running (or last run) when the write was first sent

    @property
    def status(self) -> int | None:
        return self.attempts[-1].status if self.attempts else None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Recorder:
    """Every write of the campaign, thread-safe; `fault` labels the writes sent while it runs."""

    def __init__(self):
        self.writes: list[Write] = []
        self.fault = "warm-up"
        self._lock = threading.Lock()

    def add(self, write: Write) -> None:
        with self._lock:
            self.writes.append(write)

    def since(self, index: int) -> list[Write]:
        with self._lock:
            return self.writes[index:]

    def __len__(self) -> int:
        with self._lock:
            return len(self.writes)


_SEQUENCE = itertools.count(1)  # one for the process: clients come and go, keys never repeat


class Client:
    def __init__(self, base: str, token: str, user_id: int, recorder: Recorder, run_id: str, *,
                 retry_for: float = 60.0, stop: threading.Event | None = None):
        self.base, self.user_id, self.recorder, self.run_id = base + "/api/v1", user_id, recorder, run_id
        self.retry_for, self.stop = retry_for, stop  # once stop is set, no more retries
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def key(self, op: str) -> str:
        return f"{self.run_id}-{op}-{self.user_id}-{next(_SEQUENCE)}"

    def write(self, op: str, path: str, body: dict | None = None, key: str | None = None) -> Write:
        write = Write(op=op, user_id=self.user_id, key=key or self.key(op), path=path, fault=self.recorder.fault)
        self.recorder.add(write)
        deadline = time.monotonic() + self.retry_for
        while True:
            start = now()
            try:
                response = self.http.post(self.base + path, json=body or {}, timeout=10,
                                          headers={"Idempotency-Key": write.key})
                write.attempts.append(Attempt(start, now(), response.status_code))
                try:
                    write.body = response.json()
                except ValueError:
                    write.body = None
                    write.attempts[-1].error = response.text[:200]
            except requests.RequestException as exc:
                write.attempts.append(Attempt(start, now(), None, type(exc).__name__))
            if write.status is not None and write.status < 500:
                return write
            if time.monotonic() > deadline or (self.stop is not None and self.stop.is_set()):
                return write
            time.sleep(0.2)

    def get(self, path: str) -> dict | None:
        deadline = time.monotonic() + self.retry_for
        while time.monotonic() < deadline and not (self.stop is not None and self.stop.is_set()):
            try:
                response = self.http.get(self.base + path, timeout=10)
                if response.status_code == 200:
                    return response.json()
                if response.status_code < 500:
                    return None
            except requests.RequestException:
                pass
            time.sleep(0.2)
        return None


@dataclass
class Party:
    user_id: int
    token: str
    totp_secret: str | None = None  # enrolled with two factors: codes for the API writes that need one


SCORES = {"quality": 5, "communication": 4, "timeliness": 5, "professionalism": 4}


class Load:
    """`threads` clients running flows until stopped; each thread picks a brand and a provider."""

    def __init__(self, base: str, brands: list[Party], providers: list[Party], staff: Party, *,
                 recorder: Recorder, run_id: str, threads: int = 4, seed: int = 22):
        self.base, self.brands, self.providers, self.staff = base, brands, providers, staff
        self.recorder, self.run_id, self.threads = recorder, run_id, threads
        self.random = random.Random(seed)  # noqa: S311 - which party acts next, not a secret
        self.stop_event = threading.Event()
        self._workers: list[threading.Thread] = []
        self.flows_done = 0
        self.providers_touched: set[int] = set()
        self._lock = threading.Lock()

    def client(self, party: Party) -> Client:
        return Client(self.base, party.token, party.user_id, self.recorder, self.run_id, stop=self.stop_event)

    def start(self) -> None:
        self.stop_event.clear()
        self._workers = [threading.Thread(target=self._run, args=(i,), daemon=True, name=f"load-{i}")
                         for i in range(self.threads)]
        for worker in self._workers:
            worker.start()

    def stop(self, timeout: float = 90) -> None:
        """Let every flow finish its current write (with its retries), then stop."""
        self.stop_event.set()
        for worker in self._workers:
            worker.join(timeout)
        self._workers = []

    def _run(self, index: int) -> None:
        rng = random.Random(index * 7919 + self.random.random())  # noqa: S311 - as above
        while not self.stop_event.is_set():
            try:
                self.flow(rng)
            except Exception:  # noqa: BLE001 - a flow that broke (a body without the field) starts over
                time.sleep(0.1)

    def flow(self, rng: random.Random) -> bool:
        brand_party, provider_party = rng.choice(self.brands), rng.choice(self.providers)
        brand, provider, staff = self.client(brand_party), self.client(provider_party), self.client(self.staff)
        amount = rng.randrange(1000_00, 5000_00)
        marker = brand.key("tender")
        deadline = (now() + timedelta(days=7)).isoformat()

        def ok(write: Write) -> bool:
            return write.acknowledged and not self.stop_event.is_set()

        tender = brand.write("tender", "/tenders", {
            "title": f"Fault load {marker}", "category": "design", "description": f"Load marker {marker}.",
            "budget_min": 1000_00, "budget_max": 5000_00, "currency": "CNY", "bid_deadline": deadline,
            "sealed": False, "rounds": ["proposal"], "kpis": []}, key=marker)
        if not ok(tender):
            return False
        tender_id = tender.body["id"]
        bid_key = provider.key("bid")
        bid = provider.write("bid", f"/tenders/{tender_id}/bids", {
            "amount": amount, "currency": "CNY", "delivery_days": 30, "proposal": f"Proposal {bid_key}",
            "milestones": [{"title": "All of it", "amount": amount, "due_days": 30}]}, key=bid_key)
        if not ok(bid) or not ok(brand.write("close", f"/tenders/{tender_id}/close")):
            return False
        award = brand.write("award", f"/tenders/{tender_id}/award", {"bid_id": bid.body["id"]})
        if not ok(award):
            return False
        contract_id = award.body["contract_id"]
        contract = brand.get(f"/contracts/{contract_id}")
        if contract is None:
            return False
        milestone_id = contract["milestones"][0]["id"]
        reference = staff.key("deposit")
        deposit = staff.write("deposit", "/admin/deposits", {"user_id": brand_party.user_id, "amount": amount,
                                                             "currency": "CNY", "reference": reference},
                              key=reference)
        if not ok(deposit) or not ok(brand.write("fund", f"/milestones/{milestone_id}/fund")):
            return False
        note_key = provider.key("deliver")
        if not ok(provider.write("deliver", f"/milestones/{milestone_id}/deliver", {"note": f"Done {note_key}"},
                                 key=note_key)):
            return False
        if not ok(brand.write("accept", f"/milestones/{milestone_id}/accept")):
            return False
        with self._lock:
            self.providers_touched.add(provider_party.user_id)
        for client in (brand, provider):
            review_key = client.key("review")
            if not client.write("review", f"/contracts/{contract_id}/reviews",
                                {"scores": SCORES, "comment": f"Review {review_key}"}, key=review_key).acknowledged:
                return False
        with self._lock:
            self.flows_done += 1
        return True


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
