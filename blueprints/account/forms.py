from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from i18n.labels import CATEGORY_LABELS, PROVINCE_LABELS, SIZE_TIER_LABELS, choices, options

TIMEZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
             "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC"]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(FlaskForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=100)])
    locale = SelectField(_l("Language"), choices=options([("", _l("Browser default")), ("zh_CN", "中文"),
                                                          ("en", "English")]))
    timezone = SelectField(_l("Time zone"), choices=options((tz, tz) for tz in TIMEZONES))
    email_notifications = BooleanField(_l("Also send me important notifications by e-mail"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("Passwords differ."))])
    revoke_tokens = BooleanField(_l("Also revoke my API tokens"), default=True)


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[Optional(), Length(max=100)])


class ProviderProfileForm(FlaskForm):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    categories = MultiCheckboxField(_l("Services offered"), choices=choices(CATEGORY_LABELS))
    province = SelectField(_l("Province"), choices=choices(PROVINCE_LABELS, blank="—"))
    city = StringField(_l("City"), validators=[Optional(), Length(max=64)])
    team_size = IntegerField(_l("Team size"), validators=[Optional(), NumberRange(min=1, max=100000)])
    description = TextAreaField(_l("About the company"), validators=[Optional(), Length(max=5000)])


class VerificationForm(FlaskForm):
    licence = FileField(_l("Business licence (photo or scan)"), description=_l("PNG, JPEG or WebP, up to 10 MB"))
    registration_number = StringField(_l("Unified social credit code"),
                                      validators=[DataRequired(), Length(max=40)])
    legal_representative = StringField(_l("Legal representative"), validators=[DataRequired(), Length(max=100)],
                                       description=_l("As printed on the business licence (法定代表人)."))


class CaseForm(FlaskForm):
    title = StringField(_l("Case title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=choices(CATEGORY_LABELS))
    metric = StringField(_l("Result metric"), validators=[Optional(), Length(max=100)],
                         description=_l("e.g. conversion rate"))
    before_value = StringField(_l("Before"), validators=[Optional(), Length(max=40)])
    after_value = StringField(_l("After"), validators=[Optional(), Length(max=40)])
    description = TextAreaField(_l("What you did"), validators=[Optional(), Length(max=5000)])
    client_brand = StringField(_l("Client brand"), validators=[Optional(), Length(max=200)],
                               description=_l("Only if the client agreed to be named"))


class ImageForm(FlaskForm):
    file = FileField(_l("Image"), validators=[FileRequired()], description=_l("PNG, JPEG or WebP, up to 10 MB"))


class BrandProfileForm(FlaskForm):
    store_name = StringField(_l("Store name"), validators=[DataRequired(), Length(max=200)])
    size_tier = SelectField(_l("Size"), choices=choices(SIZE_TIER_LABELS))
    # the unified social credit code is entered with the licence, in the verification form
    province = SelectField(_l("Province"), choices=choices(PROVINCE_LABELS, blank="—"), validators=[Optional()],
                           description=_l("Where the store is run from: the market page counts it there"))
    city = StringField(_l("City"), validators=[Optional(), Length(max=64)])
    invoice_title = StringField(_l("Invoice title"), validators=[Optional(), Length(max=200)],
                                description=_l("The company name providers put on invoices to you."))
    tax_id = StringField(_l("Tax id"), validators=[Optional(), Length(max=40)])


class TwoFactorCodeForm(FlaskForm):
    """A code from the authenticator app (or, where accepted, a recovery code)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("The 6-digit code your authenticator app shows now."))


class WebhookForm(FlaskForm):
    url = StringField(_l("Endpoint URL (https)"), validators=[DataRequired(), Length(max=2000)])
    events = SelectMultipleField(_l("Events"), validators=[DataRequired()], choices=[])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=500)])
