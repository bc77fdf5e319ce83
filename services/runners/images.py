"""The derivatives job: a thumbnail for every image and video upload (a video's is a poster frame
when ffmpeg is installed) and a 1200 px view of every image, watermarked for deliveries. Queued once the upload commits
(services/storage.py); safe to run twice or at once: the files are written under names fixed by the
upload (each written whole, then renamed) and the row is marked done only by the first run."""
from pathlib import Path

from sqlalchemy import update

from extensions import db
from models import Upload, User
from models.types import utcnow
from services import images, storage

DERIVED = "derived"


def derived_names(stored_name: str) -> tuple[str, str]:
    """(thumbnail, preview) stored names of an upload: beside nothing else, under derived/."""
    stem = f"{DERIVED}/{Path(stored_name).with_suffix('')}"
    return f"{stem}.thumb.jpg", f"{stem}.preview.jpg"


def derive(upload_id: int) -> str:
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        return "gone"
    if upload.derived_at is not None:
        return "done before"
    thumb_name, preview_name = derived_names(upload.stored_name)
    source = storage.path_of(upload.stored_name)
    if upload.is_image:
        # a delivery's (or contest entry's) view is what its brand sees before paying: marked with the
        # provider's name
        delivery = upload.stored_name.startswith(("deliveries/", "contests/"))
        mark = db.session.get(User, upload.owner_id).display_name if delivery else None
        images.derive_image(source, storage.path_of(thumb_name), storage.path_of(preview_name), mark)
    else:
        preview_name = None
        if not images.video_poster(source, storage.path_of(thumb_name)):
            thumb_name = None  # no ffmpeg (or an unreadable video): the page shows a video icon
    db.session.execute(update(Upload).where(Upload.id == upload_id, Upload.derived_at.is_(None))
                       .values(thumb_name=thumb_name, preview_name=preview_name, derived_at=utcnow()))
    db.session.commit()
    return "derived"
