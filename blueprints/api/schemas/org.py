"""Organisations: the caller's organisation, its members and invitations."""
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Out
from models.organisation import ALL_ROLES

Role = Literal[ALL_ROLES]  # type: ignore[valid-type]


class MemberOut(Out):
    user_id: int
    email: str
    display_name: str
    role: Role


class InvitationOut(Out):
    id: int
    email: str
    role: Role
    expires_at: str


class OrgOut(BaseModel):
    id: int
    name: str
    kind: Literal["brand", "provider"]
    members: list[MemberOut]
    dual_fund_above: int | None = Field(None, description="a fund of more than this (minor units) waits for a "
                                                          "second finance or owner member; null: off")
    invitations: list[InvitationOut] | None = Field(None, description="pending invitations (owners only)")


class MemberIn(BaseModel):
    email: str = Field(max_length=254)
    role: Role = Field(description="brand: owner, procurement, evaluator, finance, viewer; "
                                   "provider: owner, bid_manager, delivery, finance, viewer")


class RoleIn(BaseModel):
    role: Role


class AcceptIn(BaseModel):
    token: str = Field(max_length=2000, description="the token in the invitation e-mail's link (/invitations/<token>)")


class SettingsIn(BaseModel):
    dual_fund_above: int | None = Field(None, ge=0, le=10**12, description="null switches the two-member rule off")
