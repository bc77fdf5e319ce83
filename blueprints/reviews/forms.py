from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from i18n.labels import MARK_LABELS, options
from services.reviews import DECISION_LENGTH, REPLY_LENGTH, REPORT_LENGTH

STARS = options((str(n), MARK_LABELS[n]) for n in range(5, 0, -1))


def _text(label, low: int, message):
    """A text of `low` to 2000 characters once trimmed, as the service counts, refused with the service's
    words. The flags make the browser ask for it too (required, minlength, maxlength)."""

    def between(_form, field):
        if not low <= len((field.data or "").strip()) <= 2000:
            raise StopValidation(str(message))  # str: read in the request's language, and a plain message

    between.field_flags = {"required": True, "minlength": low, "maxlength": 2000}
    return TextAreaField(label, validators=[between])


class ReviewForm(FlaskForm):
    quality = RadioField(_l("Quality"), choices=STARS, validators=[DataRequired()])
    communication = RadioField(_l("Communication"), choices=STARS, validators=[DataRequired()])
    timeliness = RadioField(_l("Timeliness"), choices=STARS, validators=[DataRequired()])
    professionalism = RadioField(_l("Professionalism"), choices=STARS, validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class ReplyForm(FlaskForm):
    reply = _text(_l("Your public reply"), 1, REPLY_LENGTH)


class ReasonForm(FlaskForm):
    """Reporting a review."""
    reason = _text(_l("What is wrong with this review?"), 3, REPORT_LENGTH)


class HideForm(FlaskForm):
    reason = _text(_l("Reason for hiding (shown to both parties)"), 3, DECISION_LENGTH)


class KeepForm(FlaskForm):
    reason = _text(_l("Reason for keeping it (sent to whoever reported it)"), 3, DECISION_LENGTH)
