from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from i18n.labels import ORG_ROLE_LABELS, options
from models.organisation import ROLES


def role_choices(kind: str):
    return options((role, ORG_ROLE_LABELS[role]) for role in ROLES[kind])


class InviteForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"))


class DualFundForm(FlaskForm):
    dual_fund_above = DecimalField(
        _l("Two members for a fund above"), places=2, validators=[Optional(), NumberRange(0, 10**10)],
        description=_l("In yuan (or the contract's currency). A fund above it by one finance or owner member waits "
                       "until a second one confirms it by funding too. Empty: off."))
