from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from i18n.labels import ROLE_LABELS, options
from models.user import SELF_REGISTER_ROLES


class RegisterForm(FlaskForm):
    role = RadioField(_l("I am a"), choices=options((r, ROLE_LABELS[r]) for r in SELF_REGISTER_ROLES),
                      validators=[DataRequired()])
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("Passwords differ."))])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me logged in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("Passwords differ."))])
    revoke_tokens = BooleanField(_l("Also revoke my API tokens"), default=True)


class LoginCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("The 6-digit code from your authenticator app, or one of your recovery codes."))


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Your appeal"), validators=[DataRequired(), Length(min=10, max=2000)],
                         description=_l("Why the suspension should be lifted (10 to 2000 characters). You can "
                                        "appeal once."))
