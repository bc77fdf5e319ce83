from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.account.forms import MultiCheckboxField
from blueprints.fields import MONEY, FiniteDecimalField, row_id
from i18n.labels import (
    CATEGORY_LABELS,
    ENGAGEMENT_LABELS,
    KPI_DIRECTION_LABELS,
    ROUND_LABELS,
    TENDER_STATUS_LABELS,
    choices,
    options,
)
from models.catalog import CURRENCIES
from services.addenda import NOTICE


class KpiForm(Form):
    name = StringField(_l("KPI"), validators=[Optional(), Length(max=100)],
                       description=_l("e.g. first-response time"))
    target = FiniteDecimalField(_l("Target"), validators=[Optional(), NumberRange(min=0)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)], description=_l("e.g. s or %"))
    direction = SelectField(_l("Met when the result is"), choices=choices(KPI_DIRECTION_LABELS), default="at_least")
    bonus_pct = FiniteDecimalField(_l("Bonus if met (%)"), places=2,
                                   validators=[Optional(), NumberRange(min=0, max=30)],
                                   description=_l("of the period's fee, paid on top"))
    penalty_pct = FiniteDecimalField(_l("Penalty if missed (%)"), places=2,
                                     validators=[Optional(), NumberRange(min=0, max=30)],
                                     description=_l("of the period's fee, withheld"))


class TenderForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=choices(CATEGORY_LABELS))
    description = TextAreaField(_l("What you need"), validators=[DataRequired(), Length(max=20000)])
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES), default="CNY")
    budget_min = FiniteDecimalField(_l("Budget from"), places=2, validators=[DataRequired(), MONEY])
    budget_max = FiniteDecimalField(_l("Budget up to"), places=2, validators=[DataRequired(), MONEY])
    bid_deadline = DateTimeLocalField(_l("Bids close at"), format="%Y-%m-%dT%H:%M",
                                      validators=[DataRequired()],
                                      description=_l("In your time zone."))
    sealed = BooleanField(_l("Sealed bids (providers never see each other's bids)"))
    sealed_opening = BooleanField(_l("Sealed opening: I will see amounts and proposals only after bidding closes"))
    invited_only = BooleanField(_l("Invited providers only (not listed publicly)"))
    requires_verified = BooleanField(_l("Only verified providers may bid"))
    min_stars = SelectField(_l("Minimum star level"), choices=options([("", _l("Any")), ("3", "3"), ("4", "4"),
                                                                       ("5", "5"), ("6", "6")]),
                            validators=[Optional()])
    rounds = MultiCheckboxField(_l("Evaluation rounds"), choices=choices(ROUND_LABELS), default=["proposal"])
    kpis = FieldList(FormField(KpiForm), min_entries=3, max_entries=10)
    criteria = TextAreaField(
        _l("Scorecards (optional)"), validators=[Optional(), Length(max=5000)],
        description=_l("One criterion a line: round | criterion | weight, e.g. proposal | staffing plan | 30. "
                       "A round's weights add up to 100; write deal-breaker instead of a weight for a must-have."))
    blind_grading = BooleanField(_l("Blind grading: evaluators do not see providers' names"))
    two_envelope = BooleanField(_l("Two envelopes: technical offers are passed or failed before any price opens"))
    engagement = SelectField(_l("How the work is paid"), choices=choices(ENGAGEMENT_LABELS), default="fixed")
    period_days = IntegerField(_l("Days per period"), validators=[Optional(), NumberRange(min=7, max=92)],
                               description=_l("Retainer and metered: e.g. 30"))
    periods = IntegerField(_l("Number of periods"), validators=[Optional(), NumberRange(min=1, max=36)])
    unit = StringField(_l("Unit paid for"), validators=[Optional(), Length(max=40)],
                       description=_l("Metered: e.g. conversation, order, photo, hour"))


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
    # bounded like any amount and page, so no number typed here reaches a query past what a column holds
    budget_min = IntegerField(_l("Budget at least (¥)"), validators=[Optional(), NumberRange(min=0, max=10**11)])
    budget_max = IntegerField(_l("Budget at most (¥)"), validators=[Optional(), NumberRange(min=0, max=10**11)])
    min_brand_score = IntegerField(_l("Brand score at least"), validators=[Optional(), NumberRange(min=0, max=100)])
    sort = SelectField(_l("Order"), default="newest", validators=[Optional()],
                       choices=options([("newest", _l("Newest first")), ("brand_score", _l("Best brand score first"))]))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
    cursor = StringField(validators=[Optional(), Length(max=200)])  # "Next" links: the page after the last row


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=2000)],
                             description=_l("The brand answers publicly; your name is not shown."))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Public answer"), validators=[DataRequired(), Length(max=5000)])


class CorrectionForm(FlaskForm):
    description = TextAreaField(_l("What you need"), validators=[DataRequired(), Length(max=20000)])


class AddendumForm(FlaskForm):
    body = TextAreaField(_l("What changes"), validators=[DataRequired(), Length(max=20000)])
    bid_deadline = DateTimeLocalField(_l("New deadline (optional)"), format="%Y-%m-%dT%H:%M",
                                      validators=[Optional()],
                                      description=_l("Within %(hours)s hours of the deadline it moves out to "
                                                     "%(hours)s hours from now by itself.",
                                                     hours=NOTICE // timedelta(hours=1)))


class InviteForm(FlaskForm):
    # Any provider of the tender's category may be sent (a recommended one may be beyond the page's list
    # of 200): the route checks the ids against directory.invitable, not against the list's choices.
    provider_ids = SelectMultipleField(_l("Providers to invite"), coerce=row_id, validate_choice=False,
                                       validators=[DataRequired()])
