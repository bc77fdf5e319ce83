"""Who in an organisation may do what: the one permission check (issue 15).

Every service that acts for a brand or provider member calls `require(actor, action, subject)` after
loading the subject; pages and menus ask `allowed(...)` only to hide what would be refused. Two
questions, in this order:
- whose is the subject? A tender, bid, contract or milestone belongs to an organisation's principal
  (`User.account_id`); an actor of another organisation gets NotFound (404), as another account did
  before organisations existed. Callers whose existing rule answers otherwise (a public tender another
  brand tries to close: 403) keep their own check before this one.
- may the actor's role do it? `ROLE_ACTIONS` below; a member without the role gets Forbidden (403).

Actions are named `<object>.<verb>`. Evaluation: `tender.panel` (name a tender's evaluators),
`tender.evaluate` (grade bids: the owner and procurement always, an evaluator only on a tender whose panel
it sits on — `on_panel`), `tender.settle` (close a round's grading and settle the consensus score; also
who sees providers' names on a blind-graded tender). Grading itself also needs a seat on the panel.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Bid, ContestAward, Contract, Milestone, Organisation, PanelMember, Tender, User
from services.errors import Forbidden, NotFound

READ_ONLY = frozenset({"org.read", "tender.read", "contract.read"})
MONEY_READ = frozenset({"wallet.read", "statements.read"})

BRAND_ACTIONS = {
    "procurement": READ_ONLY | {
        "tender.post", "tender.run", "tender.invite", "tender.answer", "tender.shortlist", "tender.award",
        "tender.panel", "tender.evaluate", "tender.settle", "contract.manage", "dispute.manage", "review.write",
        "conversation.take_part"},
    "evaluator": READ_ONLY | {"tender.evaluate"},  # tender.evaluate only on its panels: see on_panel
    "finance": READ_ONLY | MONEY_READ | {"milestone.fund", "milestone.accept", "wallet.manage", "dispute.manage"},
    "viewer": READ_ONLY | MONEY_READ,
}
# webhook.manage: an organisation's webhook endpoints (secrets, where its events go) are its owner's.
BRAND_ACTIONS["owner"] = frozenset().union(*BRAND_ACTIONS.values()) | {"org.manage", "profile.edit", "webhook.manage"}

PROVIDER_ACTIONS = {
    "bid_manager": READ_ONLY | {"bid.manage", "tender.ask", "conversation.take_part"},
    "delivery": READ_ONLY | {"milestone.deliver", "contract.message", "dispute.manage", "review.write",
                              "conversation.take_part"},
    "finance": READ_ONLY | MONEY_READ | {"payout.manage", "dispute.manage"},
    "viewer": READ_ONLY | MONEY_READ,
}
PROVIDER_ACTIONS["owner"] = frozenset().union(*PROVIDER_ACTIONS.values()) | {"org.manage", "profile.edit",
                                                                              "webhook.manage"}

ROLE_ACTIONS = {"brand": BRAND_ACTIONS, "provider": PROVIDER_ACTIONS}
# The roles that may take part in a money decision (the two-member rule's confirmer, among others).
FINANCE_ROLES = ("owner", "finance")


def principal_of(user: User) -> User:
    """The users row `user` acts for (itself when it is its organisation's principal, or staff)."""
    return user if user.account_id == user.id else db.session.get(User, user.account_id)


def owner_account(subject, actor: User) -> int | None:
    """The principal (users.id) that owns `subject`, seen from `actor`'s side of it."""
    if isinstance(subject, Organisation):
        return subject.account_user_id
    if isinstance(subject, Tender):
        return subject.brand_id
    if isinstance(subject, Bid):
        return subject.provider_id if actor.is_provider else subject.tender.brand_id
    if isinstance(subject, Milestone):
        subject = subject.contract
    if isinstance(subject, Contract):
        return subject.provider_id if actor.is_provider else subject.brand_id
    if isinstance(subject, ContestAward):  # a contest prize: its winner's, or the contest's brand's
        return subject.entry.provider_id if actor.is_provider else subject.contest.brand_id
    return None


def panel_seat(user: User, tender: Tender) -> PanelMember | None:
    """`user`'s current seat on `tender`'s evaluation panel, if it has one."""
    return db.session.scalar(select(PanelMember).where(PanelMember.tender_id == tender.id,
                                                       PanelMember.user_id == user.id,
                                                       PanelMember.removed_at.is_(None)))


def on_panel(user: User, tender: Tender) -> bool:
    """Whether `user` sits on `tender`'s evaluation panel."""
    return panel_seat(user, tender) is not None


def may_open_bids(viewer: User, tender: Tender) -> bool:
    """Whether a member of the tender's brand may open its bids' contents: a panel member only once it
    has declared its conflicts of interest, and an evaluator only on a panel it sits on."""
    seat = panel_seat(viewer, tender)
    if seat is not None:
        return seat.declared_at is not None
    return (viewer.org_role or "owner") != "evaluator"


def blind_to(viewer: User | None, tender: Tender) -> bool:
    """Blind grading: a member of the tender's brand who does not run it (an evaluator) is not shown who
    bid — on the board, the bid pages and the API alike."""
    return bool(tender.blind_grading) and viewer is not None and viewer.account_id == tender.brand_id \
        and not allowed(viewer, "tender.settle", tender)


def allowed(actor: User | None, action: str, subject=None) -> bool:
    """Whether `actor` may do `action` on `subject` (its own organisation's, or the organisation itself
    when `subject` is None). Staff are not organisation members: their rules live in their services."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.is_admin:
        return False
    if subject is not None and owner_account(subject, actor) not in (None, actor.account_id):
        return False
    role = actor.org_role or "owner"  # a brand or provider without a membership row acts for itself
    actions = ROLE_ACTIONS.get(actor.role, {}).get(role, frozenset())
    if action not in actions:
        return False
    if action == "tender.evaluate" and role == "evaluator":
        return isinstance(subject, Tender) and on_panel(actor, subject)
    return True


def require(actor: User | None, action: str, subject=None) -> None:
    """Raise NotFound when `subject` belongs to another organisation, Forbidden when the actor's role
    does not allow `action`; return quietly otherwise."""
    if actor is None:
        raise Forbidden()
    if subject is not None and owner_account(subject, actor) not in (None, actor.account_id):
        raise NotFound()
    if not allowed(actor, action, subject):
        raise Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")
