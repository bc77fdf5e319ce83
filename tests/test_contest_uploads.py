"""Contest entries are uploads like any other (services/storage.py, services/images.py), through the entry
form and the API alike: a decompression bomb, a polyglot, a 0-byte file and an upload past the quota are
refused with a clear message and leave nothing behind; a phone photo's GPS and camera EXIF are stripped,
and the SHA-256 the entry records (proof of who was first) is that of the cleaned file it keeps."""
import hashlib
import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import ContestEntry, ContestEntryFile, Upload
from services import storage
from tests.support.images import GPS_IFD, photo, photo_with_gps, png_bomb, zip_bytes
from tests.support.web import csrf_token, signed_in

EN = {"Accept-Language": "en"}
REFUSED = [
    (png_bomb(), "bomb.png", "too large: at most 40 megapixels"),
    (photo(fmt="PNG") + zip_bytes(), "logo.png", "also contains other data"),
    (b"", "empty.png", "The file is empty."),
]


def _stored_files(app) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(app.config["UPLOAD_DIR"]) for f in files]


def _nothing_kept(app) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContestEntry)) == 0
        assert db.session.scalar(select(func.count()).select_from(Upload)) == 0  # nothing toward the quota
    assert _stored_files(app) == []


def _enter_on_page(app, race, data: bytes, name: str, provider: int = 0) -> str:
    client = signed_in(app, race.provider_ids[provider])
    path = f"/contests/{race.contest_id}"
    response = client.post(f"{path}/entries", content_type="multipart/form-data", follow_redirects=True,
                           headers=EN, data={"note": "Our logo", "file": (io.BytesIO(data), name),
                                             "csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("data", "name", "words"), REFUSED, ids=["bomb", "polyglot", "empty"])
def test_a_bad_entry_file_is_refused_on_the_page_and_through_the_api(app, contest_race, data, name, words):
    race = contest_race(1)
    page = _enter_on_page(app, race, data, name)
    assert words in page and "Your entry is in" not in page
    _nothing_kept(app)
    r = race.providers[0].post(f"/contests/{race.contest_id}/entries", content_type="multipart/form-data",
                               data={"note": "Our logo", "file": (io.BytesIO(data), name)}, headers=EN)
    assert r.status_code == 422 and words in r.json["error"]["fields"]["file"], r.json
    _nothing_kept(app)


def test_a_revision_with_a_bad_file_keeps_the_entry_as_it_was(app, contest_race):
    race = contest_race(1)
    entry_id = race.enter(0)
    for data, name, words in REFUSED:
        r = race.providers[0].client.patch(
            f"/api/v1/contests/{race.contest_id}/entries/{entry_id}", content_type="multipart/form-data",
            headers={"Authorization": f"Bearer {race.providers[0].token}", **EN},
            data={"file": (io.BytesIO(data), name)})
        assert r.status_code == 422 and words in r.json["error"]["fields"]["file"], (name, r.json)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContestEntryFile)) == 1
        assert db.session.scalar(select(func.count()).select_from(Upload)) == 1
    assert len(_stored_files(app)) == 1


def test_gps_and_camera_exif_are_stripped_from_an_entry_and_its_hash_is_of_the_kept_file(app, contest_race):
    race = contest_race(1)
    original = photo_with_gps(size=(640, 480), orientation=6)
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(GPS_IFD) and b"WitkeyPhone" in original  # the phone wrote them
    assert "Your entry is in" in _enter_on_page(app, race, original, "IMG_2041.jpg")
    race.derive_images()
    with app.app_context():
        stored = db.session.scalars(select(ContestEntryFile)).one()
        kept = storage.path_of(stored.stored_name).read_bytes()
        assert stored.sha256 == hashlib.sha256(kept).hexdigest()
        assert stored.sha256 != hashlib.sha256(original).hexdigest()
        upload = db.session.scalars(select(Upload)).one()
        derived = [storage.path_of(upload.thumb_name).read_bytes(), storage.path_of(upload.preview_name).read_bytes()]
    for data in (kept, *derived):
        assert b"WitkeyPhone" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif().get_ifd(GPS_IFD) and not image.getexif().get(0x010F)
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (480, 640)  # the orientation is in the pixels now, not in a tag
    # the entrant downloads exactly what is kept, under that hash
    files = race.providers[0].get(f"/contests/{race.contest_id}/entries").json["items"][0]["files"]
    assert files[0]["sha256"] == stored.sha256


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress: side × side × 3 bytes of noise."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def test_an_entry_past_the_uploaders_quota_is_refused_with_what_is_used(app, contest_race, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_MB", 1)
    race = contest_race(2)
    big = _noise_png(480)  # about 0.7 MB
    assert "Your entry is in" in _enter_on_page(app, race, big, "first.png")
    page = _enter_on_page(app, race, _noise_png(480), "second.png")  # a second entry would pass 1 MB
    assert "Your storage is full" in page and "Your entry is in" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContestEntry)) == 1
    r = race.providers[0].post(f"/contests/{race.contest_id}/entries", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(_noise_png(480)), "third.png")}, headers=EN)
    assert r.status_code == 422 and "Your storage is full" in r.json["error"]["fields"]["file"]
    assert len(_stored_files(app)) == 1
    # the quota is the uploader's own: another provider enters the same contest
    assert "Your entry is in" in _enter_on_page(app, race, big, "theirs.png", provider=1)
