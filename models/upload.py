"""Who stored each uploaded file and how big it is (the per-user quota sums these), and what the
image job derived from it: a thumbnail and, for images, a watermarked preview. The file rows of
deliveries, bids, evidence and messages name the same `stored_name`; the original is stored once."""
from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow


class Upload(db.Model):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    # Set by the derivatives job (services/runners/images.py); None until it has run.
    thumb_name: Mapped[str | None] = mapped_column(String(120))
    preview_name: Mapped[str | None] = mapped_column(String(120))
    derived_at: Mapped[object | None] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")
