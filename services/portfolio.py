"""Pictures on profiles: the account's avatar (a provider) or logo (a brand), and one image per
showcase case of the provider's portfolio. They are ordinary uploads (services/storage.py: cleaned,
counted in the quota, thumbnailed by the job) of the organisation's principal, edited by members
who may edit the profile; unlike deliveries they are public, as the profile is."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import ShowcaseCase, Upload, User
from services import permissions, storage
from services.errors import Forbidden, Invalid, NotFound

ONLY_IMAGES = _l("Choose a PNG, JPEG or WebP image.")


def _editor(actor: User) -> User:
    if not (actor.is_provider or actor.is_brand):
        raise Forbidden()
    permissions.require(actor, "profile.edit")
    return permissions.principal_of(actor)


def _image(stream, filename: str, folder: str, actor: User) -> str:
    stored = storage.save(stream, filename, folder, actor.id)
    if not stored.content_type.startswith("image/"):
        raise Invalid(fields={"file": ONLY_IMAGES})  # the transaction rolls back: the file goes with it
    return stored.stored_name


def set_avatar(actor: User, stream, filename: str) -> User:
    principal = _editor(actor)
    principal.avatar_name = _image(stream, filename, "avatars", actor)
    return principal


def remove_avatar(actor: User) -> User:
    principal = _editor(actor)
    principal.avatar_name = None  # the file stays (counted) until an upload sweep; nothing links to it
    return principal


def _own_case(actor: User, case_id: int) -> ShowcaseCase:
    principal = _editor(actor)
    case = db.session.get(ShowcaseCase, case_id)
    if case is None or case.provider_id != principal.id:
        raise NotFound()
    return case


def set_case_image(actor: User, case_id: int, stream, filename: str) -> ShowcaseCase:
    case = _own_case(actor, case_id)
    case.image_name = _image(stream, filename, f"portfolio/{case.provider_id}", actor)
    return case


def derived(stored_name: str | None, variant: str) -> str:
    """The thumbnail or view of a public picture, or NotFound (no picture, or not made yet)."""
    if not stored_name or variant not in ("thumb", "view"):
        raise NotFound()
    upload = db.session.scalar(select(Upload).where(Upload.stored_name == stored_name))
    name = upload and (upload.thumb_name if variant == "thumb" else upload.preview_name)
    if not name:
        raise NotFound()
    return name
