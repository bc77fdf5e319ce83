"""What a viewer may see of an uploaded file: its thumbnail, its 1200 px view, or the original.

Until a milestone is released, its brand sees delivered images only as the watermarked preview the
job made (services/runners/images.py): the original downloads once the money has gone to the
provider, so a brand cannot keep the work and cancel. Deliveries that are not images (a PDF, a ZIP)
stay downloadable as before: there is nothing to preview them with. The provider, and staff deciding
a dispute, always get the original. Bid attachments and dispute evidence have no such hold: their
view is the same picture, reduced and unmarked."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Milestone, Upload, User
from models.contract import MilestoneStatus
from services.errors import Forbidden, NotFound

VARIANTS = ("thumb", "view")


def uploads_for(files) -> dict[str, Upload]:
    """The Upload rows of these file rows, by stored name (files stored before uploads were recorded
    have none: they show as plain links)."""
    names = [f.stored_name for f in files]  # (any iterable of file rows)
    if not names:
        return {}
    return {u.stored_name: u for u in db.session.scalars(select(Upload).where(Upload.stored_name.in_(names)))}


def original_withheld(viewer: User, milestone: Milestone) -> bool:
    """Whether this viewer sees the milestone's delivered images only as previews."""
    return (viewer.account_id == milestone.contract.brand_id and not viewer.is_admin
            and milestone.status != MilestoneStatus.RELEASED)


def check_original(viewer: User, milestone: Milestone, stored) -> None:
    """Forbidden for an image delivery's original while it is withheld from this viewer."""
    if stored.content_type.startswith("image/") and original_withheld(viewer, milestone):
        raise Forbidden(_l("The original is available once this milestone is released; until then "
                           "you see a watermarked preview."))


def derived_name(stored, variant: str) -> str:
    """The stored name of a file's thumbnail or view, or NotFound while the job has not made it."""
    if variant not in VARIANTS:
        raise NotFound()
    upload = db.session.scalar(select(Upload).where(Upload.stored_name == stored.stored_name))
    name = upload and (upload.thumb_name if variant == "thumb" else upload.preview_name)
    if not name:
        raise NotFound()
    return name
