"""Where a notification takes its reader: a web endpoint with its route's parameters, never a path.

Services say *which page* (`destinations.contract(5, anchor="kpis")`); the web layer turns it into a
URL with `url_for` when the notification is read, so renaming a route cannot leave stored paths that
lead nowhere. `ENDPOINTS` lists every endpoint a notification may point to, with the parameters its
route takes; `Destination` refuses anything else, and a test builds each of them against the app's
URL map, so a renamed route or parameter fails a test rather than a reader's click.
"""
from dataclasses import dataclass, field

# endpoint → the names of its route's parameters (all integer ids)
ENDPOINTS: dict[str, tuple[str, ...]] = {
    "tenders.detail": ("tender_id",),
    "evaluation.board": ("tender_id",),
    "contracts.detail": ("contract_id",),
    "disputes.detail": ("dispute_id",),
    "chargebacks.detail": ("chargeback_id",),
    "providers.detail": ("provider_id",),
    "payouts.index": (),
    "wallet.index": (),
    "account.profile": (),
    "conversations.detail": ("conversation_id",),
    "contests.detail": ("contest_id",),
}


@dataclass(frozen=True)
class Destination:
    endpoint: str
    args: dict[str, int] = field(default_factory=dict)
    anchor: str | None = None  # a fragment on the page, e.g. "milestone-12"

    def __post_init__(self):
        expected = ENDPOINTS.get(self.endpoint)
        if expected is None:
            raise ValueError(f"{self.endpoint!r} is not a notification destination (see destinations.ENDPOINTS)")
        if set(self.args) != set(expected):
            raise ValueError(f"{self.endpoint} takes {expected}, not {tuple(self.args)}")


def tender(tender_id: int, anchor: str | None = None) -> Destination:
    return Destination("tenders.detail", {"tender_id": tender_id}, anchor)


def evaluation(tender_id: int) -> Destination:
    return Destination("evaluation.board", {"tender_id": tender_id})


def contract(contract_id: int, anchor: str | None = None) -> Destination:
    return Destination("contracts.detail", {"contract_id": contract_id}, anchor)


def milestone(contract_id: int, milestone_id: int) -> Destination:
    return contract(contract_id, f"milestone-{milestone_id}")


def review(contract_id: int, review_id: int) -> Destination:
    return contract(contract_id, f"review-{review_id}")


def dispute(dispute_id: int) -> Destination:
    return Destination("disputes.detail", {"dispute_id": dispute_id})


def chargeback(chargeback_id: int) -> Destination:
    return Destination("chargebacks.detail", {"chargeback_id": chargeback_id})


def provider(provider_id: int, anchor: str | None = None) -> Destination:
    return Destination("providers.detail", {"provider_id": provider_id}, anchor)


def contest(contest_id: int, anchor: str | None = None) -> Destination:
    return Destination("contests.detail", {"contest_id": contest_id}, anchor)


def conversation(conversation_id: int) -> Destination:
    return Destination("conversations.detail", {"conversation_id": conversation_id})


PAYOUTS = Destination("payouts.index")
WALLET = Destination("wallet.index")
PROFILE = Destination("account.profile")
