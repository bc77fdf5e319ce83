from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from services.conversations import BODY_MAX, REPORT_REASON_MAX


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX)])
    files = MultipleFileField(_l("Attachments"))


class StartForm(MessageForm):
    """The first message, from a tender page (with the provider, when a brand writes) or a contract page."""

    tender_id = IntegerField(validators=[Optional()])
    contract_id = IntegerField(validators=[Optional()])
    with_user_id = IntegerField(validators=[Optional()])
    next = HiddenField()


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("Why are you reporting this message?"),
                           validators=[Optional(), Length(max=REPORT_REASON_MAX)])
