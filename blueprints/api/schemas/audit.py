"""The staff audit log: its filters and entries."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import PageQuery
from services.audit import SUBJECT_TYPES, TEXT_MAX

SubjectType = Literal[SUBJECT_TYPES]  # type: ignore[valid-type]
BIGINT = 2**63 - 1


class AuditQuery(PageQuery):
    actor_id: int | None = Field(None, ge=1, le=BIGINT, description="entries by this staff member")
    command_line: bool = Field(False, description="only entries made on the command line (no staff member)")
    action: str | None = Field(None, min_length=1, max_length=64,
                               description="a dotted action name, e.g. provider.verify, dispute.decide")
    subject_type: SubjectType | None = None
    subject_id: int | None = Field(None, ge=0, le=BIGINT)
    affected: str | None = Field(None, min_length=1, max_length=254,
                                 description="an account's id or e-mail: entries touching that account")
    date_from: date | None = Field(None, description="first day, in the caller's time zone (account setting)")
    date_to: date | None = Field(None, description="last day (included), in the caller's time zone")
    q: str | None = Field(None, min_length=1, max_length=TEXT_MAX, description="text the reason contains")


class AuditChange(BaseModel):
    field: str
    before: object | None = None
    after: object | None = None


class AuditEntryOut(BaseModel):
    id: int
    created_at: datetime
    actor_id: int | None = Field(description="the staff member; null: the command line")
    actor_name: str | None = None
    action: str
    action_label: str = Field(description="the action's name in the caller's language")
    subject_type: str
    subject_id: int | None = None
    affected_user_id: int | None = None
    other_user_id: int | None = Field(None, description="a second account the action touched (a dispute's brand)")
    reason: str | None = None
    before: dict | None = Field(None, description="the changed fields before; money in minor units")
    after: dict | None = None
    changes: list[AuditChange] = Field(description="only the fields whose value changed")


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)
