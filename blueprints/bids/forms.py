from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateTimeLocalField,
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
from blueprints.fields import MONEY, FiniteDecimalField
from i18n.labels import options


class MilestoneForm(Form):
    title = StringField(_l("Milestone"), validators=[Optional(), Length(max=200)])
    amount = FiniteDecimalField(_l("Amount"), places=2, validators=[Optional(), MONEY])
    due_days = IntegerField(_l("Due (days after award)"), validators=[Optional(), NumberRange(min=1, max=3650)])


class BidForm(FlaskForm):
    amount = FiniteDecimalField(_l("Total price"), places=2, validators=[Optional(), MONEY],
                                description=_l("Retainer tenders: the fee per period"))
    unit_price = FiniteDecimalField(_l("Price per unit"), places=2, validators=[Optional(), MONEY])
    cap_per_period = FiniteDecimalField(_l("Most a period may cost"), places=2, validators=[Optional(), MONEY])
    delivery_days = IntegerField(_l("Delivery time (days)"), validators=[DataRequired(), NumberRange(min=1, max=3650)])
    proposal = TextAreaField(_l("Proposal"), validators=[DataRequired(), Length(max=50000)],
                             description=_l("Markdown: **bold**, lists, tables and links work; HTML does not."))
    milestones = FieldList(FormField(MilestoneForm), min_entries=3, max_entries=20)
    files = MultipleFileField(_l("Attachments (PDF, images, Office files, ZIP, MP4; 10 MB each)"))


class ScoreForm(FlaskForm):
    score = IntegerField(_l("Score (0–100)"), validators=[Optional(), NumberRange(min=0, max=100)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class RejectBidForm(FlaskForm):
    # Required-ness is the service's rule (a reason of 3+ characters); the form only carries it.
    reason = TextAreaField(_l("Reason (sent to the provider)"), validators=[Optional(), Length(max=2000)])


class SlotForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    duration_minutes = IntegerField(_l("Minutes"), default=60, validators=[DataRequired(), NumberRange(15, 480)])
    location = StringField(_l("Address or meeting link"), validators=[DataRequired(), Length(max=500)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class TechnicalForm(FlaskForm):
    """Pass or fail a bid on its technical envelope; the reason is the service's rule when failing."""
    verdict = SelectField(_l("Technical verdict"), choices=options([("pass", _l("Pass")), ("fail", _l("Fail"))]),
                          validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (sent to the provider when failing)"), validators=[Optional(), Length(max=2000)])


class BafoForm(FlaskForm):
    """Ask shortlisted bids for a best and final offer; which bids are shortlisted is the service's rule."""
    bid_ids = MultiCheckboxField(_l("Bids to reopen"), coerce=int, validate_choice=False,
                                  validators=[DataRequired(_l("Choose at least one bid."))])
    closes_at = DateTimeLocalField(_l("Final offers close at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
