"""Shared by every resource: catalogue literals, amounts in minor units, pages, and the error body."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.catalog import CATEGORIES, CURRENCIES, ROUND_KINDS

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Currency = Literal[CURRENCIES]  # type: ignore[valid-type]
RoundKind = Literal[ROUND_KINDS]  # type: ignore[valid-type]
Amount = Field(ge=0, le=10**13, description="Integer in minor units (fen, cents); never a float.")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorBody(BaseModel):
    code: str = Field(description="snake_case, stable: clients branch on it")
    message: str = Field(description="human text in the caller's language")
    fields: dict[str, str] | None = Field(None, description="per-field reasons for 400 / 422")


class Error(BaseModel):
    error: ErrorBody


class PageQuery(BaseModel):
    page: int = Field(1, ge=1)
    per_page: int = Field(20, ge=1, le=100)
