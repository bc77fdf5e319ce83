from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from blueprints.fields import MONEY, FiniteDecimalField
from i18n.labels import options
from models.catalog import CURRENCIES


class WithdrawalForm(FlaskForm):
    amount = FiniteDecimalField(_l("Amount to withdraw"), places=2, validators=[MONEY])
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES), default="CNY")


class CardTopUpForm(FlaskForm):
    amount = FiniteDecimalField(_l("Amount to add by card"), places=2, validators=[MONEY])
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES), default="CNY")
