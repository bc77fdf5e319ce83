from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

# Stripe's evidence fields staff edit, with what each holds (services.chargebacks.EVIDENCE_FIELDS).
EVIDENCE_LABELS = {
    "product_description": _l("What was bought (the service and the contract)"),
    "customer_name": _l("Customer name (the brand)"),
    "customer_email_address": _l("Customer e-mail"),
    "service_date": _l("Service date (YYYY-MM-DD)"),
    "access_activity_log": _l("Activity log (the milestone's history)"),
    "uncategorized_text": _l("Deliveries, files and acceptance"),
}


def _text(name: str) -> TextAreaField:
    return TextAreaField(EVIDENCE_LABELS[name], validators=[Optional(), Length(max=20000)])


class EvidenceForm(FlaskForm):
    product_description = _text("product_description")
    customer_name = _text("customer_name")
    customer_email_address = _text("customer_email_address")
    service_date = _text("service_date")
    access_activity_log = _text("access_activity_log")
    uncategorized_text = _text("uncategorized_text")
    save = SubmitField(_l("Save at Stripe (not final)"))
    submit = SubmitField(_l("Submit to the bank (final)"))


class ProviderAtFaultForm(FlaskForm):
    reason = TextAreaField(_l("What shows the provider at fault (the provider reads this)"),
                           validators=[Optional(), Length(max=2000)])
