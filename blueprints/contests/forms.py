from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.fields import MONEY, FiniteDecimalField
from i18n.labels import CATEGORY_LABELS, CONTEST_IP_LABELS, CONTEST_STATUS_LABELS, options
from models.catalog import CURRENCIES
from models.contest import VISUAL_CATEGORIES


class ContestForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=options((c, CATEGORY_LABELS[c]) for c in VISUAL_CATEGORIES))
    brief = TextAreaField(_l("Brief"), validators=[DataRequired(), Length(max=20000)],
                          description=_l("What the work is for, the audience, the style, what to avoid."))
    deliverable_spec = TextAreaField(_l("What the winner hands over"), validators=[Optional(), Length(max=5000)],
                                     description=_l("e.g. vector source files, PNG at 4000 px, the fonts used"))
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES), default="CNY")
    prizes = StringField(_l("Prizes"), validators=[DataRequired(), Length(max=200)],
                         description=_l("One amount per winner, the first the largest, separated by commas: "
                                        "e.g. 3000, 1000. The total is taken from your wallet into escrow now."))
    entry_deadline = DateTimeLocalField(_l("Entries close at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()],
                                        description=_l("In your time zone."))
    selection_days = IntegerField(_l("Days to pick the winners"), default=7,
                                  validators=[DataRequired(), NumberRange(min=1, max=30)],
                                  description=_l("If you do not pick in time, the prize is split among your "
                                                 "shortlist (or the best-rated entries)."))
    blind = BooleanField(_l("Blind: providers never see each other's entries"), default=True)
    min_stars = SelectField(_l("Minimum star level"), choices=options([("", _l("Any")), ("3", "3"), ("4", "4"),
                                                                       ("5", "5"), ("6", "6")]),
                            validators=[Optional()])
    ip_terms = SelectField(_l("Rights the winner transfers"), choices=options(CONTEST_IP_LABELS.items()),
                           default="full_transfer")
    handover_days = IntegerField(_l("Days to confirm the handover"), default=7,
                                 validators=[DataRequired(), NumberRange(min=1, max=60)])


class EntryForm(FlaskForm):
    file = FileField(_l("Your entry (image)"), validators=[FileRequired()],
                     description=_l("PNG, JPEG or WebP up to 10 MB. Stored with its SHA-256 and the time, "
                                    "so who was first can always be proved."))
    note = TextAreaField(_l("Note to the brand"), validators=[Optional(), Length(max=2000)])


class HandoverForm(FlaskForm):
    files = MultipleFileField(_l("Full-resolution files"), description=_l("Up to 10 files: source files, images, "
                                                                          "a ZIP of everything."))


class RatingForm(FlaskForm):
    rating = SelectField(_l("Stars"), choices=options((str(n), str(n)) for n in range(5, 0, -1)),
                         validators=[DataRequired()])
    feedback = StringField(_l("Private feedback"), validators=[Optional(), Length(max=2000)])


class ShortlistForm(FlaskForm):
    entry_ids = SelectMultipleField(_l("Finalists"), coerce=int, validate_choice=False)


class AwardForm(FlaskForm):
    entry_ids = SelectMultipleField(_l("Winners"), coerce=int, validate_choice=False)


class OfferForm(FlaskForm):
    """The brand's offer to buy an entry that won no prize (in the contest's currency)."""
    price = FiniteDecimalField(_l("Price"), places=2, validators=[DataRequired(), MONEY],
                               description=_l("Taken from your wallet into escrow when the entrant accepts."))
    message = TextAreaField(_l("Message to the entrant"), validators=[Optional(), Length(max=2000)])


class ContestFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), choices=options([("", _l("Open and selecting")),
                                                         *CONTEST_STATUS_LABELS.items()]), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


def _optional_id(value):
    """A select's value: an entry's id, or None for the blank choice (and anything that is not a number)."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class CopyReportForm(FlaskForm):
    """Reporting an entry as a copy; the "copied from" choices are the entries the reporter sees."""

    reason = TextAreaField(_l("What was copied, and from where"), validators=[DataRequired(), Length(max=2000)])
    original_entry_id = SelectField(_l("Copied from (optional)"), coerce=_optional_id, validate_choice=False,
                                    validators=[Optional()])
