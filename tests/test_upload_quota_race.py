"""The storage quota under concurrent uploads (PostgreSQL): twelve avatars sent at once by one user
whose quota holds three — exactly three are stored, the others refused, none half-counted."""
import io
import urllib.error
import urllib.request
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import Upload
from services import images
from tests.test_concurrency import race


def _noise_png() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((300, 300), 80).convert("RGB").save(out, "PNG")
    return out.getvalue()


def put_picture(url: str, token: str, data: bytes) -> int:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={  # noqa: S310
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own test server)
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.postgres
def test_concurrent_uploads_never_pass_the_quota(app, live_server, make_user, api, monkeypatch):
    monkeypatch.setitem(live_server.server.app.config, "UPLOAD_QUOTA_MB", 1)  # the live server's own app
    provider = make_user("provider")
    tokens = [api(provider).token for _ in range(12)]  # one each: a token's own row must not queue them
    picture = _noise_png()
    with app.test_request_context():  # the size it is stored at (cleaned), to know how many fit
        stored_size = len(images.clean(picture, "image/png"))
    fit = (1024 * 1024) // stored_size
    assert 2 <= fit < 12
    codes = race(12, lambda i: put_picture(f"{live_server.url}/api/v1/me/avatar", tokens[i], picture))
    assert sorted(codes) == [200] * fit + [422] * (12 - fit), codes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Upload)) == fit
        assert db.session.scalar(select(func.sum(Upload.size))) <= 1024 * 1024
