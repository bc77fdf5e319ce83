"""The market insight the nightly job computes (services.market): one row per run, read by the market
page and API. Aggregates only — the cells that could reveal one party's amounts are already suppressed
in `data`."""
from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow


class MarketSnapshot(db.Model):
    __tablename__ = "market_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    data: Mapped[dict] = mapped_column(JSON)
