"""Registration, tokens and the caller's own account."""
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Out


class RegisterIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    role: Literal["brand", "provider"]
    display_name: str = Field(max_length=100)


class UserOut(Out):
    id: int
    email: str
    role: Literal["brand", "provider", "admin"]
    display_name: str
    email_verified: bool = Field(description="bidding, awarding, funding and being paid wait for it "
                                             "(403 `email_unverified`)")


class VerifyEmailIn(BaseModel):
    token: str = Field(max_length=2000, description="the token in the link of the verification e-mail")


class VerifyEmailOut(BaseModel):
    email_verified: bool


class TokenIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    name: str | None = Field(None, max_length=100, description="a label to tell tokens apart")
    otp: str | None = Field(None, max_length=32, description=(
        "the current TOTP code (RFC 6238, 6 digits, 30 s) or an unused recovery code: required for staff and "
        "for users who enrolled in two-factor sign-in (missing → 401 `otp_required`, wrong or already used → "
        "401 `invalid_otp`; staff not enrolled → 403 `totp_required`)"))


class TokenOut(BaseModel):
    token: str = Field(description="shown once; send as `Authorization: Bearer <token>`")
    user: UserOut


class Balance(BaseModel):
    account: str
    amount: int
    currency: str


class MeOut(UserOut):
    balances: list[Balance] = []
