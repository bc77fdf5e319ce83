from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class VerifyForm(FlaskForm):
    checked_number = StringField(_l("Registration number checked"), validators=[DataRequired(), Length(max=40)],
                                 description=_l("As found in the national enterprise credit system."))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the provider)"), validators=[DataRequired(), Length(max=2000)])
