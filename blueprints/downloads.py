"""Sending stored files, shared by the web pages and the API: always as a download, never inline.

The caller has already decided the viewer may have the file (a service returned it); this module only
turns a stored file row into the response."""
from flask import send_file

from services import portfolio, previews, storage
from services.errors import NotFound


def one_of(files, file_id: int):
    """The file with this id if it is among `files` (already authorised), else 404."""
    stored = next((f for f in files if f.id == file_id), None)
    if stored is None:
        raise NotFound()
    return stored


def send_one_of(files, file_id: int):
    return send_attachment(one_of(files, file_id))


def send_public_picture(stored_name: str | None, variant: str):
    """A profile picture (avatar, logo, portfolio image): public like the profile. Until the job has
    made the thumbnail, the cleaned original stands in (re-encoded by us, so safe to show inline)."""
    if not stored_name:
        raise NotFound()
    try:
        path, mimetype = storage.path_of(portfolio.derived(stored_name, variant)), "image/jpeg"
    except NotFound:
        path, mimetype = storage.path_of(stored_name), None
        if not path.exists():
            raise
    response = send_file(path, mimetype=mimetype, max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def send_private_picture(upload):
    """An image only its owner and staff may see (a business licence): cleaned and re-encoded by us on
    upload, so shown inline, but never cached."""
    if upload is None:
        raise NotFound()
    response = send_file(storage.path_of(upload.stored_name), mimetype=upload.content_type, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_variant(stored, variant: str):
    """A file's thumbnail or 1200 px view: JPEGs the job wrote itself, so shown inline (404 until made)."""
    response = send_file(storage.path_of(previews.derived_name(stored, variant)), mimetype="image/jpeg", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def send_attachment(att):
    """The stored bytes, always as a download (never rendered inline on our origin)."""
    response = send_file(storage.path_of(att.stored_name), mimetype=att.content_type, as_attachment=True,
                         download_name=att.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
