from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from i18n.labels import options

STARS = options((str(n), "★" * n) for n in range(5, 0, -1))


class ReviewForm(FlaskForm):
    quality = RadioField(_l("Quality"), choices=STARS, validators=[DataRequired()])
    communication = RadioField(_l("Communication"), choices=STARS, validators=[DataRequired()])
    timeliness = RadioField(_l("Timeliness"), choices=STARS, validators=[DataRequired()])
    professionalism = RadioField(_l("Professionalism"), choices=STARS, validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Your public reply"), validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
