"""This installation of Witkey: one row, holding the id that tells its Stripe objects from those of
any other database sharing the Stripe account (services/installation.py)."""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow


class Installation(db.Model):
    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    key: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
