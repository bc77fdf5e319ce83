"""KPI results: what a contract achieved against its tender's KPI targets, recorded by the brand per
milestone (the period the milestone paid for). They feed the provider's operating capability."""
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow


class KpiResult(db.Model):
    __tablename__ = "kpi_results"
    # one measurement per KPI and milestone: a result is a record, never rewritten
    __table_args__ = (UniqueConstraint("milestone_id", "kpi_id", name="uq_kpi_result_per_milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    kpi_id: Mapped[int] = mapped_column(ForeignKey("tender_kpis.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    met: Mapped[bool] = mapped_column()  # against the target as it was when recorded
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # where the figure comes from
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    kpi = relationship("TenderKpi")
    milestone = relationship("Milestone")
