"""Image uploads (services/storage.py + services/images.py): what is refused, with the message the
uploader reads, and what is stored of what is accepted, read back from the stored bytes themselves."""
import hashlib
import io
import os
import tracemalloc

import pytest
from PIL import Image

from extensions import db
from models import Upload
from services import images, storage
from services.errors import Invalid
from services.runners import images as image_job
from tests.support.images import GPS_IFD, photo, photo_with_gps, png_bomb, zip_bytes

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def save(app, data: bytes, name: str, owner_id: int, folder: str = "deliveries/1"):
    """storage.save in a transaction of its own: the stored file, or the Invalid it raised."""
    with app.test_request_context():
        try:
            stored = storage.save(io.BytesIO(data), name, folder, owner_id)
        except Invalid as refused:
            db.session.rollback()
            return refused
        db.session.commit()
        return stored


def stored_files(app) -> list[str]:
    root = app.config["UPLOAD_DIR"]
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def assert_refused(app, result, words: str) -> None:
    assert isinstance(result, Invalid), result
    assert words in str(result.fields["file"]), result.fields["file"]
    assert stored_files(app) == []  # nothing kept on disk…
    with app.app_context():
        assert db.session.query(Upload).count() == 0  # …or counted toward anyone's quota


def test_a_decompression_bomb_is_refused_from_its_header(app, make_user):
    user = make_user("provider")
    bomb = png_bomb()
    assert len(bomb) < 100_000  # a small file…
    tracemalloc.start()
    result = save(app, bomb, "poster.png", user.id)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_refused(app, result, "too large: at most 40 megapixels")
    assert peak < 50_000_000  # …that was never decoded (10 gigapixels would need 10 GB)


def test_gps_and_camera_exif_are_stripped_and_the_orientation_applied(app, make_user):
    user = make_user("provider")
    original = photo_with_gps(size=(64, 32), orientation=6)
    with Image.open(io.BytesIO(original)) as sent:  # the upload really carries them
        assert sent.getexif().get_ifd(GPS_IFD) and b"WitkeyPhone" in original
    stored = save(app, original, "IMG_0001.jpg", user.id)
    with app.app_context():
        data = storage.path_of(stored.stored_name).read_bytes()
    assert b"Exif" not in data and b"WitkeyPhone" not in data
    with Image.open(io.BytesIO(data)) as kept:
        assert not kept.getexif()  # no EXIF at all: no GPS, no camera, no orientation tag left…
        assert kept.size == (32, 64)  # …because the turn is in the pixels now
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)  # the hash is of what is kept


@pytest.mark.parametrize(("data", "name"), [
    (photo() + zip_bytes(), "jpeg-then-zip.jpg"),  # opens as a picture here, as an archive elsewhere
    (photo(fmt="PNG") + zip_bytes(), "png-then-zip.png"),
    (photo(fmt="PNG") + b"%PDF-1.4 hidden", "png-then-pdf.png"),
    (photo(fmt="PNG", pnginfo=None)[:-12] + b"\0\0\0\x10tEXt<script>x</script>" + photo(fmt="PNG")[-12:], "script.png"),
])
def test_a_polyglot_is_refused(app, make_user, data, name):
    user = make_user("provider")
    assert_refused(app, save(app, data, name, user.id), "also contains other data")


def test_an_empty_file_is_refused(app, make_user):
    assert_refused(app, save(app, b"", "empty.png", make_user("provider").id), "The file is empty.")


def test_a_file_that_only_claims_to_be_an_image_is_refused(app, make_user):
    user = make_user("provider")
    assert_refused(app, save(app, b"just text, named like a picture", "cat.png", user.id), "Allowed: PDF, images")
    truncated = photo(size=(400, 300))[:600] + b"\xff\xd9"  # a JPEG's start, then its end marker
    assert_refused(app, save(app, truncated, "cut.jpg", user.id), "not a readable image")


def test_an_upload_past_the_quota_is_refused_and_others_are_not_affected(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_MB", 1)
    user, other = make_user("provider"), make_user("provider")
    big = PDF + b"%" + b"x" * 700_000
    assert not isinstance(save(app, big, "a.pdf", user.id), Invalid)
    refused = save(app, big, "b.pdf", user.id)
    assert isinstance(refused, Invalid)
    assert "Your storage is full: you use 0.7 MB of 1 MB and this file needs 0.7 MB more" in str(refused.fields["file"])
    assert len(stored_files(app)) == 1
    assert not isinstance(save(app, big, "c.pdf", other.id), Invalid)  # a quota is per user


def test_the_thumbnail_job_is_idempotent(app, make_user):
    user = make_user("provider")
    stored = save(app, photo(size=(3000, 2000)), "big.jpg", user.id)
    with app.app_context():
        upload_id = db.session.query(Upload).filter_by(stored_name=stored.stored_name).one().id
        assert image_job.derive(upload_id) == "derived"
        upload = db.session.get(Upload, upload_id)
        thumb = storage.path_of(upload.thumb_name).read_bytes()
        view = storage.path_of(upload.preview_name)
        with Image.open(view) as v:
            assert v.size == (1200, 800)
        assert image_job.derive(upload_id) == "done before"  # RQ may deliver it twice
        assert storage.path_of(upload.thumb_name).read_bytes() == thumb
        assert sorted(os.path.basename(p) for p in stored_files(app)) == sorted(
            os.path.basename(n) for n in (stored.stored_name, upload.thumb_name, upload.preview_name))


def test_a_video_gets_an_icon_without_ffmpeg(app, make_user, monkeypatch):
    monkeypatch.setattr("services.images.shutil.which", lambda name: None)
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" * 4
    stored = save(app, mp4, "clip.mp4", make_user("provider").id)
    with app.app_context():
        upload = db.session.query(Upload).filter_by(stored_name=stored.stored_name).one()
        assert image_job.derive(upload.id) == "derived"
        db.session.refresh(upload)
        assert upload.derived_at is not None and upload.thumb_name is None and upload.preview_name is None


def test_a_small_delivered_image_is_marked_in_its_thumbnail_too(tmp_path):
    """An original no bigger than a thumbnail would otherwise be handed to the brand whole before release."""
    source = tmp_path / "icon.png"
    Image.new("RGB", (240, 160), (30, 120, 200)).save(source)
    images.derive_image(source, tmp_path / "thumb.jpg", tmp_path / "view.jpg", mark="Guangying Studio")
    with Image.open(tmp_path / "thumb.jpg") as thumb:
        pixels = thumb.convert("RGB").get_flattened_data()
        marked = sum(1 for px in pixels if abs(px[0] - 30) + abs(px[1] - 120) + abs(px[2] - 200) > 60)
    assert marked > 200  # the mark (an unmarked flat thumbnail has none: JPEG noise stays far below 60)
