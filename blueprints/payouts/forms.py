from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints.fields import MONEY, FiniteDecimalField


class BankDetailsForm(FlaskForm):
    account_name = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=200)],
                               description=_l("The company name exactly as the bank has it."))
    bank_name = StringField(_l("Bank and branch"), validators=[DataRequired(), Length(max=200)])
    account_number = StringField(_l("Account number"), validators=[DataRequired(), Length(max=64)])
    otp = StringField(_l("Two-factor code"), validators=[Length(max=32)],
                      description=_l("The code your authenticator app shows now: changing payout details needs it."))


class MarkPaidForm(FlaskForm):
    reference = StringField(_l("Bank reference"), validators=[DataRequired(), Length(max=100)])


class MarkFailedForm(FlaskForm):
    reason = TextAreaField(_l("Why it failed (the provider is told)"), validators=[DataRequired(), Length(max=500)])


class StripeOnboardForm(FlaskForm):
    otp = StringField(_l("Two-factor code"), validators=[Length(max=32)],
                      description=_l("The code your authenticator app shows now: changing payout details needs it."))


class MarginMoveForm(FlaskForm):
    amount = FiniteDecimalField(_l("Amount (CNY)"), places=2, validators=[DataRequired(), MONEY])
