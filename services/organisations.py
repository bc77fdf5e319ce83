"""Organisations: members and their roles, invitations by e-mail, and the two-member funding rule.

Every brand and provider belongs to exactly one organisation (a new account founds its own, as its
owner and *principal*: the users row that owns the organisation's tenders, bids, contracts and ledger
accounts). Owners invite people by e-mail with a role; the mailed link carries a signed token naming
the invitation row, which makes it expire (the signature's age and `expires_at`), single-use (accepted
by a conditional UPDATE) and revocable. A removed member's logins and API tokens end in the same
transaction, and it is left with a one-member organisation of its own, holding nothing of the old one.
What each role may do is services.permissions.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from extensions import db
from i18n.labels import ROLE_LABELS
from models import (
    Bid,
    Contract,
    FundRequest,
    LedgerAccount,
    Membership,
    Milestone,
    Organisation,
    OrgInvitation,
    Tender,
    User,
)
from models.contract import MilestoneStatus
from models.organisation import ROLES
from models.types import utcnow
from services import accounts, destinations, mail, notifications, permissions, sessions
from services.errors import Conflict, Forbidden, Invalid, NotFound, check

INVITATION_TTL = timedelta(days=7)
MAX_DUAL_FUND_ABOVE = 10**12
AWAITING_CONFIRMATION = "awaiting_confirmation"  # a fund held for a second member (FundResult.status)


def organisation_of(user: User | None) -> Organisation:
    """The organisation `user` belongs to; staff (and anonymous) have none: NotFound."""
    if user is None or getattr(user, "membership", None) is None:
        raise NotFound(_l("You are not a member of an organisation."))
    return user.membership.organisation


def view(user: User) -> Organisation:
    """Any member reads its organisation: name, kind, members and their roles."""
    organisation = organisation_of(user)
    permissions.require(user, "org.read", organisation)
    return organisation


def members(organisation: Organisation) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.organisation_id == organisation.id)
                                   .options(selectinload(Membership.user)).order_by(Membership.id)))


def pending_invitations(organisation: Organisation) -> list[OrgInvitation]:
    return list(db.session.scalars(select(OrgInvitation).where(
        OrgInvitation.organisation_id == organisation.id, OrgInvitation.accepted_at.is_(None),
        OrgInvitation.revoked_at.is_(None), OrgInvitation.expires_at > utcnow()).order_by(OrgInvitation.id)))


def _managed(actor: User) -> Organisation:
    organisation = organisation_of(actor)
    permissions.require(actor, "org.manage", organisation)
    return organisation


def _role_error(organisation: Organisation, role: str):
    return role not in ROLES[organisation.kind] and _l(
        "Choose one of the roles: %(roles)s.", roles=", ".join(ROLES[organisation.kind]))


# --- invitations ---------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="witkey-org-invitation")


def invitation_token(invitation: OrgInvitation) -> str:
    return _serializer().dumps({"i": invitation.id, "e": invitation.email})


def invite(actor: User, email: str, role: str, *, locale: str | None = None) -> OrgInvitation:
    """An owner invites `email` with `role`: a row, and a mail with the link, sent after commit in the
    recipient's language (its account's, else the inviter's). A repeated invitation replaces the
    pending one for that address."""
    organisation = _managed(actor)
    email = accounts.normalise_email(email or "")
    check({"email": (not 3 <= len(email) <= 254 or "@" not in email) and _l("Enter a valid e-mail address."),
           "role": _role_error(organisation, role)})
    existing = User.by_email(email)
    if existing is not None and existing.membership is not None \
            and existing.membership.organisation_id == organisation.id:
        raise Conflict(_l("This person is already a member."), code="already_member",
                       fields={"email": _l("Already a member.")})
    now = utcnow()
    db.session.execute(update(OrgInvitation).where(
        OrgInvitation.organisation_id == organisation.id, func.lower(OrgInvitation.email) == email,
        OrgInvitation.accepted_at.is_(None), OrgInvitation.revoked_at.is_(None)).values(revoked_at=now))
    invitation = OrgInvitation(organisation_id=organisation.id, email=email, role=role, invited_by_id=actor.id,
                               created_at=now, expires_at=now + INVITATION_TTL)
    db.session.add(invitation)
    db.session.flush()
    mail.compose(existing, "org_invitation", _l("%(name)s invites you to Witkey", name=organisation.name),
                 to=email, locale=locale or mail.current_locale(), organisation=organisation.name,
                 inviter=actor.display_name, role=role, token=invitation_token(invitation),
                 days=INVITATION_TTL.days)
    return invitation


def invitation_for(token: str) -> OrgInvitation:
    """The pending invitation a link names; 422 `invalid_token` when forged, expired, used or revoked."""
    try:
        data = _serializer().loads(token or "", max_age=INVITATION_TTL.total_seconds())
    except BadSignature:  # SignatureExpired is one
        data = None
    invitation = db.session.get(OrgInvitation, data["i"]) \
        if isinstance(data, dict) and isinstance(data.get("i"), int) else None
    if invitation is None or invitation.email != data.get("e") or invitation.accepted_at is not None \
            or invitation.revoked_at is not None or invitation.expires_at <= utcnow():
        raise Invalid(_l("This invitation is not valid, was used already or has expired. Ask for a new one."),
                      code="invalid_token", fields={"token": _l("Not valid or expired.")})
    return invitation


def _has_business(user_id: int) -> bool:
    """Whether the account owns anything a solo organisation would strand if its user moved away."""
    return db.session.scalar(select(or_(
        exists().where(Tender.brand_id == user_id), exists().where(Bid.provider_id == user_id),
        exists().where(or_(Contract.brand_id == user_id, Contract.provider_id == user_id)),
        exists().where(LedgerAccount.user_id == user_id)))) or False


def _dissolve(organisation: Organisation) -> None:
    db.session.execute(delete(OrgInvitation).where(OrgInvitation.organisation_id == organisation.id))
    db.session.execute(delete(Membership).where(Membership.organisation_id == organisation.id))
    db.session.execute(delete(Organisation).where(Organisation.id == organisation.id))


def accept(user: User, token: str) -> Organisation:
    """The invited person, signed in with the invited address, joins with the invited role. An account
    that is alone in an organisation of its own with nothing in it (a fresh registration) leaves it;
    one with members or business of its own cannot join another (409)."""
    invitation = invitation_for(token)
    organisation = invitation.organisation
    if user is None or user.is_admin or accounts.normalise_email(user.email) != invitation.email.lower():
        raise Forbidden(_l("This invitation was sent to another e-mail address."), code="wrong_recipient")
    if user.role != organisation.kind:
        raise Conflict(_l("Only an account of the kind “%(kind)s” can join this organisation.",
                          kind=ROLE_LABELS[organisation.kind]), code="wrong_kind")
    own = user.membership
    if own is not None:
        if own.organisation_id == organisation.id:
            raise Conflict(_l("You are already a member."), code="already_member")
        alone = db.session.scalar(select(func.count()).where(Membership.organisation_id == own.organisation_id)) == 1
        if not alone or own.organisation.account_user_id != user.id or _has_business(user.id):
            raise Conflict(_l("You are a member of another organisation, or your account has business of its own."),
                           code="member_elsewhere")
    # single use, whatever races: only the request that flips accepted_at goes on
    taken = db.session.execute(update(OrgInvitation).where(
        OrgInvitation.id == invitation.id, OrgInvitation.accepted_at.is_(None), OrgInvitation.revoked_at.is_(None))
        .values(accepted_at=utcnow(), accepted_by_id=user.id)).rowcount
    if taken != 1:
        raise Invalid(_l("This invitation is not valid, was used already or has expired. Ask for a new one."),
                      code="invalid_token", fields={"token": _l("Not valid or expired.")})
    if own is not None:
        _dissolve(own.organisation)
        db.session.expire(user, ["membership"])
    db.session.add(Membership(organisation_id=organisation.id, user_id=user.id, role=invitation.role,
                              invited_by_id=invitation.invited_by_id))
    db.session.flush()
    db.session.expire(user, ["membership"])
    return organisation


def revoke_invitation(actor: User, invitation_id: int) -> OrgInvitation:
    organisation = _managed(actor)
    invitation = db.session.get(OrgInvitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id:
        raise NotFound()
    if invitation.accepted_at is not None:
        raise Conflict(_l("This invitation was accepted already."), code="already_accepted")
    invitation.revoked_at = invitation.revoked_at or utcnow()
    return invitation


# --- members -------------------------------------------------------------------------------------

def _member(organisation: Organisation, user_id: int) -> Membership:
    membership = db.session.scalar(select(Membership).where(Membership.organisation_id == organisation.id,
                                                            Membership.user_id == user_id)
                                 .with_for_update(of=Membership))
    if membership is None:
        raise NotFound(_l("No such member."))
    return membership


def _owners(organisation: Organisation) -> int:
    return db.session.scalar(select(func.count()).where(Membership.organisation_id == organisation.id,
                                                        Membership.role == "owner"))


def change_role(actor: User, user_id: int, role: str) -> Membership:
    """An owner changes a member's role; the organisation always keeps an owner."""
    organisation = _managed(actor)
    check({"role": _role_error(organisation, role)})
    membership = _member(organisation, user_id)
    if membership.role == "owner" and role != "owner" and _owners(organisation) <= 1:
        raise Conflict(_l("The organisation needs at least one owner."), code="last_owner")
    membership.role = role
    return membership


def remove_member(actor: User, user_id: int) -> User:
    """An owner removes a member: its logins and API tokens stop working at once (this transaction),
    and it keeps its own account as a new one-member organisation of its own, holding nothing of this
    one. The owner cannot remove itself, the last owner, or the principal (whose account holds the
    organisation's tenders, contracts and money)."""
    organisation = _managed(actor)
    membership = _member(organisation, user_id)
    if user_id == actor.id:
        raise Conflict(_l("You cannot remove yourself."), code="cannot_remove_self")
    if user_id == organisation.account_user_id:
        raise Conflict(_l("The organisation's founding account cannot be removed."), code="principal")
    if membership.role == "owner" and _owners(organisation) <= 1:
        raise Conflict(_l("The organisation needs at least one owner."), code="last_owner")
    member = membership.user
    db.session.delete(membership)
    db.session.flush()
    sessions.end_all(member)
    accounts.revoke_all_tokens(member)
    own = Organisation(name=member.display_name, kind=organisation.kind, account_user_id=member.id)
    own.memberships.append(Membership(user_id=member.id, role="owner"))
    db.session.add(own)
    db.session.flush()
    db.session.expire(member, ["membership"])
    return member


def set_dual_fund_above(actor: User, amount: int | None) -> Organisation:
    """The two-member rule: None switches it off; else a fund of more than `amount` (minor units)
    waits for a second finance or owner member."""
    organisation = _managed(actor)
    if organisation.kind != "brand":
        raise Conflict(_l("Only brands fund milestones."), code="not_a_brand")
    check({"dual_fund_above": amount is not None and not 0 <= amount <= MAX_DUAL_FUND_ABOVE
           and _l("Enter an amount of 0 or more.")})
    organisation.dual_fund_above = amount
    return organisation


# --- the two-member rule ---------------------------------------------------------------------------

def waiting_fund_requests(contract) -> dict[int, FundRequest]:
    """The contract's funds waiting for a second member, by milestone (the contract page says so)."""
    return {r.milestone_id: r for r in db.session.scalars(
        select(FundRequest).join(Milestone).where(Milestone.contract_id == contract.id,
                                                  FundRequest.confirmed_at.is_(None),
                                                  Milestone.status == MilestoneStatus.PENDING)
        .options(selectinload(FundRequest.requested_by)))}


def fund_request(milestone: Milestone) -> FundRequest | None:
    return db.session.scalar(select(FundRequest).where(FundRequest.milestone_id == milestone.id))


def hold_for_second_member(actor: User, milestone: Milestone) -> bool:
    """Called by funding.fund with the milestone row locked and the actor allowed to fund. True: the
    fund waits (the first member's request is recorded now); False: go ahead (the rule is off or the
    amount under it, or this is a second, different member's confirmation — recorded now)."""
    organisation = actor.membership.organisation if actor.membership is not None else None
    if organisation is None or organisation.dual_fund_above is None or milestone.amount <= organisation.dual_fund_above:
        return False
    request = fund_request(milestone)
    if request is None:
        db.session.add(FundRequest(milestone_id=milestone.id, organisation_id=organisation.id,
                                   requested_by_id=actor.id))
        db.session.flush()  # unique per milestone: a racing second request fails here
        confirmers = [m.user_id for m in organisation.memberships
                      if m.role in permissions.FINANCE_ROLES and m.user_id != actor.id]
        notifications.notify(confirmers, "fund_confirmation_needed", personal=True,
                             to=destinations.milestone(milestone.contract_id, milestone.id),
                             member=actor.display_name, milestone=milestone.title)
        return True
    if request.confirmed_at is not None:
        return False
    if request.requested_by_id == actor.id:
        raise Conflict(_l("A second finance or owner member must confirm this funding."),
                       code="second_member_required")
    request.confirmed_by_id, request.confirmed_at = actor.id, utcnow()
    return False
