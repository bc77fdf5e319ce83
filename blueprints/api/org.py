"""Organisations: members, roles, invitations and the two-member funding rule (services.organisations)."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.org import AcceptIn, InvitationOut, MemberIn, MemberOut, OrgOut, RoleIn, SettingsIn
from services import organisations, permissions


def _member_out(membership) -> MemberOut:
    return MemberOut(user_id=membership.user_id, email=membership.user.email,
                     display_name=membership.user.display_name, role=membership.role)


def _invitation_out(invitation) -> InvitationOut:
    return InvitationOut(id=invitation.id, email=invitation.email, role=invitation.role,
                         expires_at=invitation.expires_at.isoformat())


def org_out(organisation, viewer) -> OrgOut:
    owner = permissions.allowed(viewer, "org.manage", organisation)
    return OrgOut(id=organisation.id, name=organisation.name, kind=organisation.kind,
                  members=[_member_out(m) for m in organisations.members(organisation)],
                  dual_fund_above=organisation.dual_fund_above,
                  invitations=[_invitation_out(i) for i in organisations.pending_invitations(organisation)]
                  if owner else None)


@api_route("/org", summary="The caller's organisation", tag="Organisations", response=OrgOut,
           roles=("brand", "provider"), errors=(404,))
def get_org():
    """Any member: the organisation's name, kind and members with their roles."""
    user = current_api_user()
    return org_out(organisations.view(user), user)


@api_route("/org/members", "POST", summary="Invite a member by e-mail", tag="Organisations", body=MemberIn,
           response=InvitationOut, status=201, roles=("brand", "provider"), errors=(403, 404, 409, 422))
def invite_member(body: MemberIn):
    """Owners only. The invitation e-mail carries a link with `/invitations/<token>`; the person joins
    with the role on accepting. A role of the other side is a 422."""
    return _invitation_out(organisations.invite(current_api_user(), body.email, body.role))


@api_route("/org/invitations/accept", "POST", summary="Accept an invitation", tag="Organisations", body=AcceptIn,
           response=OrgOut, roles=("brand", "provider"), errors=(403, 409, 422))
def accept_invitation(body: AcceptIn):
    """The invited user, signed in with the invited address. A used, revoked, expired or forged token is a
    422 `invalid_token`; a user with members or business of its own cannot move (409 `member_elsewhere`)."""
    user = current_api_user()
    organisation = organisations.accept(user, body.token)
    return org_out(organisation, user)


@api_route("/org/invitations/<int:invitation_id>", "DELETE", summary="Revoke a pending invitation",
           tag="Organisations", status=204, roles=("brand", "provider"), errors=(403, 404, 409))
def revoke_invitation(invitation_id: int):
    organisations.revoke_invitation(current_api_user(), invitation_id)
    return ""


@api_route("/org/members/<int:user_id>", "PATCH", summary="Change a member's role", tag="Organisations",
           body=RoleIn, response=MemberOut, roles=("brand", "provider"), errors=(403, 404, 409, 422))
def change_role(user_id: int, body: RoleIn):
    """Owners only; the organisation keeps at least one owner (409 `last_owner`)."""
    return _member_out(organisations.change_role(current_api_user(), user_id, body.role))


@api_route("/org/members/<int:user_id>", "DELETE", summary="Remove a member", tag="Organisations", status=204,
           roles=("brand", "provider"), errors=(403, 404, 409))
def remove_member(user_id: int):
    """Owners only. The member's sessions and API tokens stop working at once; it keeps its own account,
    alone. An owner cannot remove itself (409) nor the organisation's founding account."""
    organisations.remove_member(current_api_user(), user_id)
    return ""


@api_route("/org/settings", "PUT", summary="The two-member funding rule", tag="Organisations", body=SettingsIn,
           response=OrgOut, roles=("brand",), errors=(403, 404, 409, 422))
def settings(body: SettingsIn):
    """Owners only: above `dual_fund_above` a fund by one finance or owner member answers
    `awaiting_confirmation` and a second, different one confirms it by funding too."""
    user = current_api_user()
    return org_out(organisations.set_dual_fund_above(user, body.dual_fund_above), user)
