from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from blueprints.fields import FiniteDecimalField
from models.contract import MEASURABLE
from services.kpis import MAX_MEASUREMENT


class DeliverForm(FlaskForm):
    note = TextAreaField(_l("What you deliver"), validators=[Optional(), Length(max=5000)])
    links = TextAreaField(_l("Links (one per line)"), validators=[Optional(), Length(max=5500)])
    files = MultipleFileField(_l("Files (PDF, images, Office files, ZIP, MP4; 10 MB each)"))


class ChangesForm(FlaskForm):
    note = TextAreaField(_l("What needs to change"), validators=[Optional(), Length(max=5000)])


class KpiResultForm(FlaskForm):
    """The brand records what was measured for one KPI over one milestone (choices set per contract)."""

    milestone_id = SelectField(_l("Milestone"), coerce=int)
    kpi_id = SelectField(_l("KPI"), coerce=int)
    value = FiniteDecimalField(_l("Measured value"),
                               validators=[InputRequired(), NumberRange(min=0, max=MAX_MEASUREMENT)])

    @classmethod
    def for_contract(cls, contract, **kwargs) -> "KpiResultForm":
        form = cls(**kwargs)
        form.milestone_id.choices = [(m.id, m.title) for m in contract.milestones if m.status in MEASURABLE]
        form.kpi_id.choices = [(k.id, k.name) for k in contract.kpis]
        return form


class UsageForm(FlaskForm):
    """Units used in a metered period."""

    quantity = IntegerField(_l("Units used"), validators=[InputRequired(), NumberRange(min=1, max=10**9)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class KpiImportForm(FlaskForm):
    """A CSV export with the columns date,metric,value for one period."""

    file = FileField(_l("CSV export (date,metric,value)"), validators=[FileRequired()])


class ContestForm(FlaskForm):
    statement = TextAreaField(_l("Why the figures are wrong"), validators=[Optional(), Length(max=3000)])


class AutoFundForm(FlaskForm):
    auto_fund = BooleanField(_l("Fund each period from my wallet before it starts"),
                             description=_l("When the funding reminder goes out; without money in the wallet, the "
                                            "reminder is all that happens."))


class NoticeForm(FlaskForm):
    immediate = BooleanField(_l("End now, after the running period (both sides must ask)"))


class PeriodsForm(FlaskForm):
    periods = IntegerField(_l("Number of periods"), validators=[InputRequired(), NumberRange(min=1, max=36)])


class InvoiceForm(FlaskForm):
    """The provider records the invoice it issued for a release (tax rates set from INVOICE_TAX_RATES)."""

    number = StringField(_l("Invoice number"), validators=[InputRequired(), Length(max=40)])
    tax_rate = SelectField(_l("Tax rate"), coerce=int)
    file = FileField(_l("Official invoice PDF (optional)"))

    @classmethod
    def with_rates(cls, rates: list[int]) -> "InvoiceForm":
        form = cls()
        form.tax_rate.choices = [(r, f"{r / 100:g}%") for r in rates]
        return form
