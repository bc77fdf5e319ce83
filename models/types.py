"""Column types shared by every model."""
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are stored as naive UTC
    (and compare correctly as text because they all share that zone).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StoredFileColumns:
    """The columns every uploaded file keeps (see services.storage): shown name, random stored
    name, type decided from its bytes, size, and SHA-256 to prove what was submitted."""

    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))

    @classmethod
    def from_stored(cls, stored, **fields):
        return cls(filename=stored.filename, stored_name=stored.stored_name, content_type=stored.content_type,
                   size=stored.size, sha256=stored.sha256, **fields)


def utcnow() -> datetime:
    """The current time, aware, in UTC. The one clock the domain reads (tests move it)."""
    return datetime.now(UTC)
