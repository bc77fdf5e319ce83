"""The caller's own account, as on the /account page (services.accounts, services.sessions): settings,
password, API tokens, and the browsers signed in. Every object here is the caller's own: another
user's token or login is 404."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.routing import api_route, current_api_user
from services import accounts, sessions


class AccountSettingsIn(BaseModel):
    display_name: str = Field(max_length=100)
    locale: Literal["", "en", "zh_CN"] | None = Field(None, description="the language of pages and e-mail; "
                                                                         "empty or null: the browser's")
    timezone: str = Field(max_length=64, description="an IANA zone, e.g. Asia/Shanghai: times and statement "
                                                     "months are read in it")
    email_notifications: bool | None = Field(None, description="null leaves it as it is")


class AccountSettingsOut(BaseModel):
    display_name: str
    locale: str | None
    timezone: str
    email_notifications: bool


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)
    revoke_tokens: bool = Field(True, description="also revoke every API token, the calling one included")


class ApiTokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenList(BaseModel):
    items: list[ApiTokenOut]


class LoginOut(BaseModel):
    id: int
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str | None
    ip_address: str | None


class LoginList(BaseModel):
    items: list[LoginOut]


class EndedOut(BaseModel):
    ended: int = Field(description="how many logins ended")


def _settings_out(user) -> AccountSettingsOut:
    return AccountSettingsOut(display_name=user.display_name, locale=user.locale, timezone=user.timezone,
                       email_notifications=user.email_notifications)


@api_route("/me/settings", summary="The caller's name, language, time zone and e-mail setting",
           tag="Accounts", response=AccountSettingsOut)
def get_settings():
    return _settings_out(current_api_user())


@api_route("/me/settings", "PUT", summary="Change the caller's name, language, time zone and e-mail setting",
           tag="Accounts", body=AccountSettingsIn, response=AccountSettingsOut, errors=(422,))
def put_settings(body: AccountSettingsIn):
    user = accounts.update_settings(current_api_user(), display_name=body.display_name, locale=body.locale,
                                    timezone=body.timezone, email_notifications=body.email_notifications)
    return _settings_out(user)


@api_route("/me/password", "POST", summary="Change the caller's password", tag="Accounts", body=PasswordIn,
           status=204, errors=(422,), idempotent=False)
def change_password(body: PasswordIn):
    """Every browser login ends; with `revoke_tokens` (the default) every API token too, this one
    included. The owner is told by e-mail. A wrong current password is 422 naming `current_password`.
    (No Idempotency-Key: a stored answer must not outlive the password it was given for.)"""
    accounts.change_password(current_api_user(), body.current_password, body.new_password,
                             revoke_tokens=body.revoke_tokens)
    return ""


@api_route("/me/tokens", summary="The caller's API tokens, newest first", tag="Accounts", response=ApiTokenList)
def list_tokens():
    return ApiTokenList(items=[ApiTokenOut.model_validate(t, from_attributes=True)
                               for t in accounts.tokens_of(current_api_user())])


@api_route("/me/tokens/<int:token_id>", "DELETE", summary="Revoke one of the caller's API tokens",
           tag="Accounts", status=204, errors=(404,))
def revoke_token(token_id: int):
    """Integrations using it stop working at once (revoking the calling token signs this client out)."""
    accounts.revoke_token(current_api_user(), token_id)
    return ""


@api_route("/me/logins", summary="The browsers signed in to the caller's account", tag="Accounts",
           response=LoginList)
def list_logins():
    return LoginList(items=[LoginOut.model_validate(login, from_attributes=True)
                            for login in sessions.logins_of(current_api_user())])


@api_route("/me/logins/<int:login_id>", "DELETE", summary="Sign one browser out", tag="Accounts", status=204,
           errors=(404,))
def end_login(login_id: int):
    sessions.end_one(current_api_user(), login_id)
    return ""


@api_route("/me/logins/end-all", "POST", summary="Sign every browser out", tag="Accounts", response=EndedOut)
def end_all_logins():
    """Every browser login and "keep me logged in" cookie ends; API tokens stay (revoke them one by one)."""
    return EndedOut(ended=sessions.end_all(current_api_user()))
