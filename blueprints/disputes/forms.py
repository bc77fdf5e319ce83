from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from blueprints.fields import MONEY, FiniteDecimalField
from i18n.labels import ADJUSTMENT_DIRECTION_LABELS, PARTY_DISPUTE_REASON_LABELS, choices, options


class DisputeForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=choices(PARTY_DISPUTE_REASON_LABELS))
    statement = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=5000)])
    links = TextAreaField(_l("Links (one per line)"), validators=[Optional(), Length(max=5500)])
    files = MultipleFileField(_l("Files"))


class EvidenceForm(FlaskForm):
    note = TextAreaField(_l("Your evidence"), validators=[Optional(), Length(max=5000)])
    links = TextAreaField(_l("Links (one per line)"), validators=[Optional(), Length(max=5500)])
    files = MultipleFileField(_l("Files"))


class ResolveForm(FlaskForm):
    provider_amount = FiniteDecimalField(_l("Amount to the provider"), places=2,
                                   validators=[InputRequired(message=_l("Enter an amount (0 for a full refund).")),
                                               MONEY])
    reason = TextAreaField(_l("Reason for the decision (sent to both sides)"),
                           validators=[Optional(), Length(max=5000)])


class AdjustmentForm(FlaskForm):
    amount = FiniteDecimalField(_l("Amount"), places=2, validators=[DataRequired(), MONEY])
    direction = SelectField(_l("Move money"), choices=options(ADJUSTMENT_DIRECTION_LABELS.items()))
    reason = TextAreaField(_l("Reason for the correction"), validators=[Optional(), Length(max=5000)])


class CorrectionRejectForm(FlaskForm):
    rejection_reason = TextAreaField(_l("Why reject it"), validators=[Optional(), Length(max=5000)])
