from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from services.conversations import BODY_MAX, REPORT_REASON_MAX


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX)])
    files = MultipleFileField(_l("Attachments"))


class StartForm(MessageForm):
    """The first message, from a tender page (with the provider, when a brand writes) or a contract page."""

    # row ids: a positive number an integer column holds (a hostile huge one is a form error, not a 500)
    tender_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    contract_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    with_user_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    next = HiddenField()


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("Why are you reporting this message?"),
                           validators=[Optional(), Length(max=REPORT_REASON_MAX)])
