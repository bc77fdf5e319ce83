"""The user's own account: settings, password, signing out everywhere, API tokens, and the provider or
brand profile."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from blueprints.account import forms
from blueprints.account.devices import device_summary
from blueprints.downloads import send_private_picture
from blueprints.web import ActionForm, perform, role_required, submitted
from extensions import db
from services import accounts, permissions, portfolio, profiles, sessions, two_factor

bp = Blueprint("account", __name__, url_prefix="/account")


def _overview(settings_form=None, password_form=None, token_form=None, new_token=None, status=200):
    settings_form = settings_form or forms.SettingsForm(
        display_name=current_user.display_name, locale=current_user.locale or "", timezone=current_user.timezone,
        email_notifications=current_user.email_notifications)
    return render_template(
        "account/index.html", settings_form=settings_form,
        password_form=password_form or forms.PasswordForm(), token_form=token_form or forms.TokenForm(),
        tokens=accounts.tokens_of(current_user), new_token=new_token, login_count=sessions.count(current_user),
        logins=sessions.logins_of(current_user), device_summary=device_summary,
    ), status


@bp.after_app_request
def record_login_use(response):
    """Each signed-in browser's last use, browser and address, for the list of logins: written at most
    once per LOGIN_TOUCH_INTERVAL per login (services.sessions.touch), never on every request. After the
    view, so the request that logs in records its login at once."""
    if request.endpoint != "static" and current_user.is_authenticated:
        sessions.touch(current_user._get_current_object(), user_agent=request.user_agent.string,  # noqa: SLF001
                       ip_address=request.remote_addr)
    return response


def _attempt(form, action, success_message: str) -> bool:
    return form.validate_on_submit() and perform(action, form=form, success=success_message)


@bp.get("")
@login_required
def index():
    """Settings, password and API tokens."""
    return _overview()


@bp.post("/settings")
@login_required
def settings():
    form = forms.SettingsForm()
    if _attempt(form, lambda: accounts.update_settings(current_user, display_name=form.display_name.data,
                                                       locale=form.locale.data, timezone=form.timezone.data,
                                                       email_notifications=form.email_notifications.data),
                _("Settings saved.")):
        return redirect(url_for("account.index"))
    return _overview(settings_form=form, status=422)


@bp.post("/password")
@login_required
def password():
    form = forms.PasswordForm()
    if _attempt(form, lambda: accounts.change_password(current_user, form.current_password.data,
                                                       form.new_password.data,
                                                       revoke_tokens=form.revoke_tokens.data),
                _("Password changed. Every other login was signed out.")):
        return redirect(url_for("account.index"))
    return _overview(password_form=form, status=422)


# --- two-factor sign-in --------------------------------------------------------------------------------

def _two_factor_page(code_form=None, recovery_codes=None, status=200):
    return render_template(
        "account/two_factor.html", code_form=code_form or forms.TwoFactorCodeForm(), action_form=ActionForm(),
        recovery_codes=recovery_codes, unused_codes=two_factor.unused_recovery_codes(current_user),
        secret=None if current_user.totp_enabled else current_user.totp_secret,
    ), status


@bp.get("/two-factor")
@login_required
def two_factor_index():
    """Enrol (QR code, secret, confirm with a code); when enrolled: new recovery codes, or turn it off."""
    return _two_factor_page()


@bp.post("/two-factor/start")
@login_required
def two_factor_start():
    """A new secret to add to the authenticator app (shown until a first code confirms it)."""
    if ActionForm().validate_on_submit():
        perform(lambda: two_factor.begin_enrolment(current_user))
    return redirect(url_for("account.two_factor_index"))


@bp.get("/two-factor/qr.svg")
@login_required
def two_factor_qr():
    """The QR code of the secret being enrolled (never once enrolment is confirmed)."""
    if current_user.totp_enabled or current_user.totp_secret is None:
        abort(404)
    return Response(two_factor.qr_svg(current_user), mimetype="image/svg+xml")


def _with_new_codes(make_codes, done: str):
    """Run a code-checked step that hands out recovery codes; show them once, or the form's errors."""
    form = forms.TwoFactorCodeForm()
    codes = form.validate_on_submit() and perform(lambda: make_codes(current_user, form.code.data), form=form)
    if codes:
        flash(done, "success")
        return _two_factor_page(recovery_codes=codes)
    return _two_factor_page(code_form=form, status=422)


@bp.post("/two-factor/confirm")
@login_required
def two_factor_confirm():
    return _with_new_codes(two_factor.confirm_enrolment,
                           _("Two-factor sign-in is on. From now on you log in with your password and a code."))


@bp.post("/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes():
    """Ten new recovery codes (the old ones stop working); needs a current code."""
    return _with_new_codes(two_factor.regenerate_recovery_codes,
                           _("New recovery codes made: the old ones no longer work."))


@bp.post("/two-factor/disable")
@login_required
def two_factor_disable():
    """Turn two-factor sign-in off (not for staff); needs a current code."""
    form = forms.TwoFactorCodeForm()
    if form.validate_on_submit() and perform(lambda: two_factor.disable(current_user, form.code.data), form=form,
                                             success=_("Two-factor sign-in is off.")):
        return redirect(url_for("account.two_factor_index"))
    return _two_factor_page(code_form=form, status=422)


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every login of this account, in every browser and every "keep me logged in" cookie (this
    one too). API tokens are revoked one by one below them."""
    if ActionForm().validate_on_submit():
        sessions.end_all(current_user)
        db.session.commit()
        logout_user()
        flash(_("You are signed out everywhere."), "success")
        return redirect(url_for("auth.login"))
    return redirect(url_for("account.index"))


@bp.post("/logins/<int:login_id>/end")
@login_required
def end_login(login_id: int):
    """Sign one browser out (another one, or this one, which then is logged out here too)."""
    if ActionForm().validate_on_submit():
        own = sessions.end_one(current_user, login_id)
        db.session.commit()
        if own:
            logout_user()
            flash(_("You are logged out."), "info")
            return redirect(url_for("auth.login"))
        flash(_("That browser is signed out."), "success")
    return redirect(url_for("account.index") + "#logins")


@bp.post("/tokens")
@login_required
def create_token():
    """Issue an API token and show it once."""
    form = forms.TokenForm()
    if not form.validate_on_submit():
        return _overview(token_form=form, status=422)
    raw, _token = accounts.issue_token(current_user, form.name.data or "")
    db.session.commit()
    return _overview(new_token=raw)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        accounts.revoke_token(current_user, token_id)
        db.session.commit()
        flash(_("Token revoked. Integrations using it stop working now."), "success")
    return redirect(url_for("account.index"))


# --- profiles ------------------------------------------------------------------------------------

def _provider_page(profile_form=None, verification_form=None, case_form=None, status=200):
    profile = profiles.get_provider(current_user.account_id)
    profile_form = profile_form or forms.ProviderProfileForm(
        company_name=profile.company_name, categories=profile.categories, province=profile.province or "",
        city=profile.city, team_size=profile.team_size, description=profile.description)
    return render_template(
        "account/provider_profile.html", profile=profile, profile_form=profile_form,
        verification_form=verification_form or forms.VerificationForm(
            registration_number=profile.registration_number, legal_representative=profile.legal_representative),
        case_form=case_form or forms.CaseForm(), image_form=forms.ImageForm(),
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The provider's or brand's profile."""
    if current_user.is_provider:
        form = forms.ProviderProfileForm()
        if _attempt(form, lambda: profiles.update_provider_profile(
                current_user, company_name=form.company_name.data, categories=form.categories.data,
                province=form.province.data, city=form.city.data, description=form.description.data,
                team_size=form.team_size.data), _("Profile saved.")):
            return redirect(url_for("account.profile"))
        return _provider_page(profile_form=form if form.is_submitted() else None,
                              status=422 if form.is_submitted() else 200)
    if current_user.is_brand:
        brand = permissions.principal_of(current_user).brand_profile
        form = forms.BrandProfileForm(obj=None if brand is None else brand)
        if _attempt(form, lambda: profiles.update_brand_profile(
                current_user, store_name=form.store_name.data, size_tier=form.size_tier.data,
                registration_number=brand.registration_number, province=form.province.data,
                city=form.city.data, invoice_title=form.invoice_title.data or "",
                tax_id=form.tax_id.data or ""), _("Profile saved.")):
            return redirect(url_for("account.profile"))
        return _brand_page(form=form, status=422 if form.is_submitted() else 200)
    return redirect(url_for("account.index"))


def _brand_page(form=None, verification_form=None, status=200):
    profile = permissions.principal_of(current_user).brand_profile
    return render_template(
        "account/brand_profile.html", form=form or forms.BrandProfileForm(obj=profile), profile=profile,
        image_form=forms.ImageForm(), verification_form=verification_form or forms.VerificationForm(
            registration_number=profile.registration_number, legal_representative=profile.legal_representative),
    ), status


@bp.post("/verification")
@role_required("provider", "brand")
def verification():
    form = forms.VerificationForm()
    upload = form.licence.data if form.licence.data and form.licence.data.filename else None
    if _attempt(form, lambda: profiles.request_verification(
            current_user, form.registration_number.data, form.legal_representative.data,
            (upload.stream, upload.filename) if upload else None),
                _("Thank you. Platform staff will check your registration and decide within two working days.")):
        return redirect(url_for("account.profile"))
    if current_user.is_brand:
        return _brand_page(verification_form=form, status=422)
    return _provider_page(verification_form=form, status=422)


@bp.get("/licences/<kind>/<int:user_id>")
@login_required
def licence(kind: str, user_id: int):
    """A business licence image: the account's own members and staff only."""
    return send_private_picture(profiles.licence_image_of(current_user, kind, user_id))


@bp.post("/cases")
@role_required("provider")
def add_case():
    form = forms.CaseForm()
    if _attempt(form, lambda: profiles.add_case(
            current_user, title=form.title.data, category=form.category.data, description=form.description.data,
            metric=form.metric.data, before_value=form.before_value.data, after_value=form.after_value.data,
            client_brand=form.client_brand.data or ""),
            _("Case added to your showcase.")):
        return redirect(url_for("account.profile"))
    return _provider_page(case_form=form, status=422)


@bp.post("/cases/<int:case_id>/delete")
@role_required("provider")
def delete_case(case_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        profiles.delete_case(current_user, case_id)
        db.session.commit()
        flash(_("Case removed."), "success")
    return redirect(url_for("account.profile"))


# --- pictures: the account's avatar or logo, a case's image (services/portfolio.py) --------------------
# A refused file comes back as a message on the profile page (it says why: type, size, quota, bomb…).

def _upload(action, success: str):
    form = forms.ImageForm()
    if submitted(form):
        perform(lambda: action(form.file.data), success=success)
    return redirect(url_for("account.profile"))


@bp.post("/avatar")
@login_required
def set_avatar():
    return _upload(lambda f: portfolio.set_avatar(current_user, f.stream, f.filename or ""),
                   _("Picture saved. Its thumbnail appears in a moment."))


@bp.post("/avatar/delete")
@login_required
def remove_avatar():
    if submitted(ActionForm()):
        perform(lambda: portfolio.remove_avatar(current_user), success=_("Picture removed."))
    return redirect(url_for("account.profile"))


@bp.post("/cases/<int:case_id>/image")
@role_required("provider")
def set_case_image(case_id: int):
    return _upload(lambda f: portfolio.set_case_image(current_user, case_id, f.stream, f.filename or ""),
                   _("Image added to the case."))
