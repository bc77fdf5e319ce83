"""The organisation page (members, roles, invitations, the two-member rule) and the invitation link."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.org import forms
from blueprints.web import ActionForm, perform, role_required, submitted
from i18n import major_units, minor_units
from services import organisations, permissions
from services.errors import Invalid

bp = Blueprint("org", __name__)


def _page(invite_form=None, status=200):
    organisation = organisations.view(current_user)
    manage = permissions.allowed(current_user, "org.manage", organisation)
    invite_form = invite_form or forms.InviteForm()
    invite_form.role.choices = forms.role_choices(organisation.kind)
    above = organisation.dual_fund_above
    dual_form = forms.DualFundForm(dual_fund_above=major_units(above, "CNY") if above is not None else None)
    role_form = forms.RoleForm()
    role_form.role.choices = forms.role_choices(organisation.kind)
    return render_template(
        "org/index.html", organisation=organisation, members=organisations.members(organisation), manage=manage,
        invitations=organisations.pending_invitations(organisation) if manage else [],
        invite_form=invite_form, dual_form=dual_form, role_form=role_form, action_form=ActionForm()), status


@bp.get("/org")
@role_required("brand", "provider")
def index():
    """Any member sees the organisation and its members; owners manage them here."""
    return _page()


@bp.post("/org/invitations")
@role_required("brand", "provider")
def invite():
    form = forms.InviteForm()
    form.role.choices = forms.role_choices(organisations.organisation_of(current_user).kind)
    if form.validate_on_submit() and perform(
            lambda: organisations.invite(current_user, form.email.data, form.role.data), form=form,
            success=_("Invitation sent to %(email)s.", email=form.email.data.strip())):
        return redirect(url_for("org.index"))
    return _page(invite_form=form, status=422)


@bp.post("/org/invitations/<int:invitation_id>/revoke")
@role_required("brand", "provider")
def revoke(invitation_id: int):
    if submitted(ActionForm()):
        perform(lambda: organisations.revoke_invitation(current_user, invitation_id), success=_("Invitation revoked."))
    return redirect(url_for("org.index") + "#invitations")


@bp.post("/org/members/<int:user_id>/role")
@role_required("brand", "provider")
def change_role(user_id: int):
    form = forms.RoleForm()
    form.role.choices = forms.role_choices(organisations.organisation_of(current_user).kind)
    if submitted(form):
        perform(lambda: organisations.change_role(current_user, user_id, form.role.data), success=_("Role changed."))
    return redirect(url_for("org.index") + "#members")


@bp.post("/org/members/<int:user_id>/remove")
@role_required("brand", "provider")
def remove(user_id: int):
    if submitted(ActionForm()):
        perform(lambda: organisations.remove_member(current_user, user_id),
                success=_("Member removed. Their logins and API tokens no longer work."))
    return redirect(url_for("org.index") + "#members")


@bp.post("/org/settings")
@role_required("brand")
def settings():
    form = forms.DualFundForm()
    if submitted(form):
        value = form.dual_fund_above.data
        perform(lambda: organisations.set_dual_fund_above(
            current_user, None if value is None else minor_units(value, "CNY")), success=_("Settings saved."))
    return redirect(url_for("org.index") + "#settings")


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The link in the invitation e-mail: who invites, as what; signed in with the invited address, an
    accept button. Anyone else is asked to log in or register with that address first."""
    try:
        pending = organisations.invitation_for(token)
    except Invalid as exc:
        return render_template("org/invitation.html", invitation=None, problem=exc.message), 410
    form = ActionForm()
    if request.method == "POST" and current_user.is_authenticated and submitted(form) \
            and perform(lambda: organisations.accept(current_user, token)):
        flash(_("Welcome to %(name)s.", name=pending.organisation.name), "success")
        return redirect(url_for("org.index"))
    return render_template("org/invitation.html", invitation=pending, problem=None, action_form=form,
                           next_url=url_for("org.invitation", token=token))
