from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional


class DeliverForm(FlaskForm):
    note = TextAreaField(_l("What you deliver"), validators=[Optional(), Length(max=5000)])
    links = TextAreaField(_l("Links (one per line)"), validators=[Optional(), Length(max=5500)])
    files = MultipleFileField(_l("Files (PDF, images, Office files, ZIP, MP4; 10 MB each)"))


class ChangesForm(FlaskForm):
    note = TextAreaField(_l("What needs to change"), validators=[Optional(), Length(max=5000)])
