from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from i18n.labels import CATEGORY_LABELS, PROVINCE_LABELS, choices, options


class DirectoryForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), choices=choices(CATEGORY_LABELS, blank=_l("All categories")),
                           validators=[Optional()])
    province = SelectField(_l("Province"), choices=choices(PROVINCE_LABELS, blank=_l("Anywhere")),
                           validators=[Optional()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=64)])
    min_stars = SelectField(_l("Stars"), choices=options([("", _l("Any")),
                                                          *((str(n), _l("%(n)s+ stars", n=n)) for n in (3, 4, 5)),
                                                          ("6", _l("%(n)s stars", n=6))]), validators=[Optional()])
    verified = BooleanField(_l("Verified only"))
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
