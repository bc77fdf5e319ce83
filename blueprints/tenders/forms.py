from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.account.forms import MultiCheckboxField
from i18n.labels import CATEGORY_LABELS, ROUND_LABELS, TENDER_STATUS_LABELS, choices, options
from models.catalog import CURRENCIES

MONEY = [NumberRange(min=0, max=10**11)]


class KpiForm(Form):
    name = StringField(_l("KPI"), validators=[Optional(), Length(max=100)],
                       description=_l("e.g. first-response time"))
    target = DecimalField(_l("Target"), validators=[Optional(), NumberRange(min=0)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)], description=_l("e.g. s or %"))


class TenderForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=choices(CATEGORY_LABELS))
    description = TextAreaField(_l("What you need"), validators=[DataRequired(), Length(max=20000)])
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES), default="CNY")
    budget_min = DecimalField(_l("Budget from"), places=2, validators=[DataRequired(), *MONEY])
    budget_max = DecimalField(_l("Budget up to"), places=2, validators=[DataRequired(), *MONEY])
    bid_deadline = DateTimeLocalField(_l("Bids close at"), format="%Y-%m-%dT%H:%M",
                                      validators=[DataRequired()],
                                      description=_l("In your time zone."))
    sealed = BooleanField(_l("Sealed bids (providers never see each other's bids)"))
    rounds = MultiCheckboxField(_l("Evaluation rounds"), choices=choices(ROUND_LABELS), default=["proposal"])
    kpis = FieldList(FormField(KpiForm), min_entries=3, max_entries=10)


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to bidders)"), validators=[Optional(), Length(max=2000)])


class TenderFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), choices=choices(CATEGORY_LABELS, blank=_l("All categories")),
                           validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices(TENDER_STATUS_LABELS, blank=_l("Any status")),
                         default="open", validators=[Optional()])
    budget_min = IntegerField(_l("Budget at least (¥)"), validators=[Optional(), NumberRange(min=0)])
    budget_max = IntegerField(_l("Budget at most (¥)"), validators=[Optional(), NumberRange(min=0)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)], default=1)
