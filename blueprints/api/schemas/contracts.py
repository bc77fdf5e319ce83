"""Contracts made by awards, their milestones, and the KPI results recorded against them."""
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from blueprints.api.schemas.common import Out
from blueprints.api.schemas.tenders import KpiOut


class KpiResultIn(BaseModel):
    kpi_id: int = Field(description="one of the contract's tender KPIs")
    value: int | Decimal = Field(description="what was measured over the milestone, in the KPI's unit")
    note: str = Field("", max_length=2000, description="where the figure comes from")


class KpiResultOut(BaseModel):
    id: int
    kpi_id: int
    milestone_id: int
    value: int | float
    met: bool
    note: str
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
    period_index: int | None = Field(None, description="retainer and metered periods: 0, 1, …; null for fixed")
    starts_at: datetime | None = None
    base_amount: int | None = Field(None, description="the period's fee, or its metered cap")
    funded_amount: int = Field(description="what was put in escrow: the base plus the most KPI bonuses can add")
    released_amount: int = Field(description="what went to the provider on settling (before commission)")


class ContractOut(Out):
    id: int
    title: str = Field(description="the tender's title, or the contest's for a bought entry")
    tender_id: int | None = Field(None, description="null for a bought contest entry")
    bid_id: int | None = None
    contest_entry_id: int | None = Field(None, description="the contest entry the brand bought (else null)")
    brand_id: int
    provider_id: int
    status: str
    amount: int
    currency: str
    created_at: datetime
    engagement: Literal["fixed", "retainer", "metered"]
    unit_price: int | None = None
    auto_fund: bool
    ends_after_period: int | None = Field(None, description="notice given: no period after this index runs")
    end_now_asked_by: Literal["brand", "provider"] | None = None
    periods_proposed: int | None = None
    milestones: list[MilestoneOut]


class UsageIn(BaseModel):
    quantity: int = Field(description="whole units used, 1 or more")
    note: str = Field("", max_length=2000)


class UsageOut(BaseModel):
    quantity_total: int
    charge: int = Field(description="min(quantity_total × unit_price, cap), minor units")


class AutoFundIn(BaseModel):
    auto_fund: bool


class NoticeIn(BaseModel):
    immediate: bool = Field(False, description="end after the period running now; needs both parties to ask")


class PeriodsIn(BaseModel):
    periods: int = Field(description="the brand proposes; the provider agrees by posting the same number")


class KpiContestIn(BaseModel):
    statement: str = Field("", max_length=3000, description="why the figures are wrong")
