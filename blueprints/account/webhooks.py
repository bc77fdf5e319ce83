"""The account's webhook endpoints: create (secret shown once), rotate, switch off and on, the delivery
log with status codes and response times, redelivery. The owner's page; the rules are services.webhooks."""
from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.account import forms
from blueprints.account.routes import bp
from blueprints.web import ActionForm, perform, submitted
from services import webhooks


def _form(form=None):
    form = form or forms.WebhookForm()
    form.events.choices = [(webhooks.ALL, _("Every event I may see")), *((t, t) for t in webhooks.EVENT_TYPES)]
    return form


def _page(form=None, new_secret=None, status=200):
    endpoints = webhooks.endpoints_of(current_user)
    logs = {e.id: webhooks.deliveries_of(current_user, e.id, 1, 10).items for e in endpoints}
    return render_template("account/webhooks.html", form=_form(form), endpoints=endpoints, logs=logs,
                           new_secret=new_secret), status


@bp.get("/webhooks")
@login_required
def webhooks_index():
    """The organisation's endpoints and their latest deliveries."""
    return _page()


@bp.post("/webhooks")
@login_required
def create_webhook():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    endpoint = perform(lambda: webhooks.create_endpoint(current_user, form.url.data, form.events.data,
                                                        form.description.data or ""), form=form)
    if not endpoint:
        return _page(form, status=422)
    return _page(new_secret=(endpoint.id, endpoint.secret))


@bp.post("/webhooks/<int:endpoint_id>/rotate")
@login_required
def rotate_webhook(endpoint_id: int):
    if submitted(ActionForm()) and (endpoint := perform(lambda: webhooks.rotate_secret(current_user, endpoint_id))):
        return _page(new_secret=(endpoint.id, endpoint.secret))
    return redirect(url_for("account.webhooks_index"))


@bp.post("/webhooks/<int:endpoint_id>/<any(on, off):switch>")
@login_required
def switch_webhook(endpoint_id: int, switch: str):
    if submitted(ActionForm()):
        perform(lambda: webhooks.update_endpoint(current_user, endpoint_id, enabled=switch == "on"),
                success=_("Endpoint switched on.") if switch == "on" else _("Endpoint switched off."))
    return redirect(url_for("account.webhooks_index"))


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@login_required
def redeliver_webhook(endpoint_id: int, delivery_id: int):
    if submitted(ActionForm()):
        perform(lambda: webhooks.redeliver(current_user, endpoint_id, delivery_id), success=_("Sent again."))
    return redirect(url_for("account.webhooks_index") + f"#endpoint-{endpoint_id}")
