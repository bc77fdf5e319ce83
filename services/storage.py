"""Uploaded files: type- and size-checked, stored outside the web root under a random name, with
their SHA-256 so anyone can later prove exactly which bytes were submitted. A file belongs to the
transaction that stored it: if that rolls back (a later file or field was refused), it is deleted."""
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

from services.after_commit import on_rollback
from services.errors import Invalid

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


def save(stream, filename: str, folder: str) -> StoredFile:
    """Read `stream` (at most MAX_FILE_BYTES), check its type, and store it under `folder`."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(fields={"file": _l("Files can be at most %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024))})
    if not data:
        raise Invalid(fields={"file": _l("The file is empty.")})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise Invalid(fields={"file": _l("Allowed: PDF, images, Word, Excel, PowerPoint, ZIP and MP4 files.")})
    stored_name = f"{folder}/{secrets.token_hex(16)}.{ALLOWED[kind.mime]}"
    path = _root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    on_rollback(_remove, path)  # the rows naming it are gone: so is the file
    return StoredFile(filename=_display_name(filename), stored_name=stored_name, content_type=kind.mime,
                      size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def path_of(stored_name: str) -> Path:
    path = (_root() / stored_name).resolve()
    if _root().resolve() not in path.parents:  # never follow a name out of the upload folder
        raise FileNotFoundError(stored_name)
    return path
