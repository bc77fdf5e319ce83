from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.fields import MONEY, FiniteDecimalField
from i18n.labels import options
from models.catalog import CURRENCIES


class VerifyForm(FlaskForm):
    checked_number = StringField(_l("Registration number checked"), validators=[DataRequired(), Length(max=40)],
                                 description=_l("As found in the national enterprise credit system."))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the account)"), validators=[DataRequired(), Length(max=2000)])


class DepositForm(FlaskForm):
    email = StringField(_l("Brand account e-mail"), validators=[DataRequired(), Length(max=254)])
    amount = FiniteDecimalField(_l("Amount received"), places=2, validators=[DataRequired(), MONEY])
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES), default="CNY")
    reference = StringField(_l("Bank reference"), validators=[DataRequired(), Length(max=100)],
                            description=_l("As on the bank statement; a transfer can be recorded only once."))


REASON = Length(min=10, max=2000)


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the user)"), validators=[DataRequired(), REASON])
    hold_payouts = BooleanField(_l("Also hold payouts of the provider's earnings"))
    hold_reason = TextAreaField(_l("Why payouts are held (optional: else the reason above)"),
                                validators=[Optional(), REASON])


class StaffReasonForm(FlaskForm):
    """Lifting a suspension, holding or releasing payouts: each with its reason, for the audit log."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), REASON])


class AppealDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=options([("uphold", _l("Uphold the suspension")),
                                                           ("lift", _l("Lift the suspension"))]),
                          validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (sent to the user)"), validators=[DataRequired(), REASON])


class StatementForm(FlaskForm):
    file = FileField(_l("Bank statement (CSV)"), validators=[FileRequired()])
    bank = SelectField(_l("Statement format"), default="default")


class AssignLineForm(FlaskForm):
    account = StringField(_l("Brand's transfer reference or e-mail"), validators=[DataRequired(), Length(max=254)])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class ReturnLineForm(FlaskForm):
    note = StringField(_l("Why it is returned"), validators=[DataRequired(), Length(max=500)])


class ApproveWithdrawalForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class RefuseWithdrawalForm(FlaskForm):
    reason = StringField(_l("Why it is refused (the brand is told)"), validators=[DataRequired(), Length(max=500)])


class CategoryMarginForm(FlaskForm):
    category = SelectField(_l("Category"))
    amount = FiniteDecimalField(_l("Required margin (CNY)"), places=2, validators=[MONEY],
                                description=_l("0 for none. A tender may ask for more."))


class MarginAwardForm(FlaskForm):
    dispute_id = IntegerField(_l("Dispute number"), validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])
    amount = FiniteDecimalField(_l("Amount to award the brand (CNY)"), places=2, validators=[DataRequired(), MONEY])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class MarginAwardRejectForm(FlaskForm):
    reason = StringField(_l("Why it is rejected"), validators=[DataRequired(), Length(max=2000)])


class CopyReportDecisionForm(FlaskForm):
    """Staff's decision on a contest entry reported as a copy (two buttons name the decision)."""

    decision = SelectField(_l("Decision"), choices=options([("uphold", _l("Uphold: remove the entry")),
                                                            ("dismiss", _l("Dismiss: the entry stays"))]),
                           validators=[DataRequired()])
    note = TextAreaField(_l("Note to the reporter and the provider"), validators=[Optional(), Length(max=1000)])
