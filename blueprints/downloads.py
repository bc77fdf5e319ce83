"""Sending stored files, shared by the web pages and the API: always as a download, never inline.

The caller has already decided the viewer may have the file (a service returned it); this module only
turns a stored file row into the response."""
from flask import send_file

from services import storage
from services.errors import NotFound


def send_one_of(files, file_id: int):
    """Send the file with this id if it is among `files` (already authorised), else 404."""
    stored = next((f for f in files if f.id == file_id), None)
    if stored is None:
        raise NotFound()
    return send_attachment(stored)


def send_attachment(att):
    """The stored bytes, always as a download (never rendered inline on our origin)."""
    response = send_file(storage.path_of(att.stored_name), mimetype=att.content_type, as_attachment=True,
                         download_name=att.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
