"""Uploaded files: type- and size-checked, stored outside the web root under a random name, with
their SHA-256 so anyone can later prove exactly which bytes were submitted. A file belongs to the
transaction that stored it: if that rolls back (a later file or field was refused), it is deleted.

Images are decoded and stored re-encoded (services/images.py: bombs, polyglots and metadata); every
file counts toward its uploader's quota (UPLOAD_QUOTA_MB) through its `Upload` row, and images and
videos get derived thumbnails and previews from a job queued once the upload commits."""
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import Upload, User
from services import images, tasks
from services.after_commit import on_rollback
from services.errors import Invalid
from services.locking import locked_get

MAX_FILE_BYTES = 10 * 1024 * 1024
# Types are decided by the file's bytes, not by its name or the browser's claim.
ALLOWED = {
    "application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/zip": "zip", "video/mp4": "mp4",
}


@dataclass(frozen=True)
class StoredFile:
    filename: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _display_name(name: str) -> str:
    name = "".join(ch for ch in os.path.basename((name or "").replace("\\", "/")) if ch.isprintable())
    return name.strip()[:200] or "file"


def save(stream, filename: str, folder: str, owner_id: int) -> StoredFile:
    """Read `stream` (at most MAX_FILE_BYTES), check its type, clean it if it is an image, and store it
    under `folder`, counted toward `owner_id`'s quota."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(fields={"file": _l("Files can be at most %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024))})
    if not data:
        raise Invalid(fields={"file": _l("The file is empty.")})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise Invalid(fields={"file": _l("Allowed: PDF, images, Word, Excel, PowerPoint, ZIP and MP4 files.")})
    if kind.mime in images.IMAGE_TYPES:
        data = images.clean(data, kind.mime)  # what is stored (and hashed) is the cleaned image
    _check_quota(owner_id, len(data))
    stored_name = f"{folder}/{secrets.token_hex(16)}.{ALLOWED[kind.mime]}"
    path = _root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    on_rollback(_remove, path)  # the rows naming it are gone: so is the file
    upload = Upload(owner_id=owner_id, stored_name=stored_name, content_type=kind.mime, size=len(data))
    db.session.add(upload)
    if upload.is_image or upload.is_video:
        db.session.flush()
        tasks.after_commit("derive_upload", upload.id, queue_name="documents")  # image work: not ahead of money
    return StoredFile(filename=_display_name(filename), stored_name=stored_name, content_type=kind.mime,
                      size=len(data), sha256=hashlib.sha256(data).hexdigest())


def store_generated(data: bytes, folder: str, ext: str) -> tuple[str, str]:
    """Store bytes the platform made itself (a contract document): no type check, no user's quota.
    Returns (stored_name, sha256); deleted again if the transaction rolls back."""
    stored_name = f"{folder}/{secrets.token_hex(16)}.{ext}"
    path = _root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    on_rollback(_remove, path)
    return stored_name, hashlib.sha256(data).hexdigest()


def quota_bytes() -> int:
    return int(current_app.config.get("UPLOAD_QUOTA_MB", 500)) * 1024 * 1024


def used_bytes(owner_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Upload.size), 0)).where(Upload.owner_id == owner_id))


def _check_quota(owner_id: int, size: int) -> None:
    """Refuse a file that would take the uploader past the quota. The uploader's row is locked first,
    so two uploads at once cannot both fit in the same remaining space."""
    locked_get(User, owner_id)
    quota = quota_bytes()
    used = used_bytes(owner_id)
    if used + size > quota:
        mb = 1024 * 1024
        raise Invalid(fields={"file": _l(
            "Your storage is full: you use %(used)s MB of %(quota)s MB and this file needs %(size)s MB more. "
            "Contact support to raise your quota.",
            used=round(used / mb, 1), quota=quota // mb, size=round(size / mb, 1))})


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def path_of(stored_name: str) -> Path:
    path = (_root() / stored_name).resolve()
    if _root().resolve() not in path.parents:  # never follow a name out of the upload folder
        raise FileNotFoundError(stored_name)
    return path
