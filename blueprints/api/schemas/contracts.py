"""Contracts made by awards, their milestones, and the KPI results recorded against them."""
from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, Field

from blueprints.api.schemas.common import Out
from blueprints.api.schemas.tenders import KpiOut


class KpiResultIn(BaseModel):
    kpi_id: int = Field(description="one of the contract's tender KPIs")
    value: int | Decimal = Field(description="what was measured over the milestone, in the KPI's unit")


class KpiResultOut(BaseModel):
    id: int
    kpi_id: int
    milestone_id: int
    value: int | float
    met: bool
    recorded_at: AwareDatetime


class KpiResults(BaseModel):
    kpis: list[KpiOut]
    items: list[KpiResultOut]


class MilestoneOut(Out):
    id: int
    title: str
    amount: int
    currency: str
    status: str
    due_at: datetime
    funded_at: datetime | None = None
    delivered_at: datetime | None = None
    released_at: datetime | None = None


class ContractOut(Out):
    id: int
    tender_id: int
    bid_id: int
    brand_id: int
    provider_id: int
    status: str
    amount: int
    currency: str
    created_at: datetime
    milestones: list[MilestoneOut]
