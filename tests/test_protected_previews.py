"""Protected previews: until a milestone is released its brand sees delivered images only as the
watermarked previews a real RQ worker made; the original downloads through no URL (web or API) until
the release, and then through both. The provider always has the original."""
import io
import re

import pytest
from PIL import Image

from extensions import db
from models import Upload, User
from services import storage
from tests.support.images import photo
from tests.support.web import csrf_token, switch
from tests.support.worker_processes import run_worker_burst

pytestmark = pytest.mark.worker

ORIGINAL = photo(size=(3000, 2000), colour=(30, 110, 200), quality=95)


def _emails(app, d):
    with app.app_context():
        return (db.session.get(User, d.brand_id).email,
                db.session.get(User, d.provider.get("/me").json["id"]).email)


def _page(client, contract_id) -> str:
    return client.get(f"/contracts/{contract_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)


def _stored_original(app) -> bytes:
    with app.app_context():
        upload = db.session.query(Upload).one()
        return storage.path_of(upload.stored_name).read_bytes()


@pytest.fixture
def delivered(app, client, deal, login):
    """A funded milestone whose provider delivered one 3000×2000 photo through the web form."""
    d = deal(amounts=(50000, 20000, 30000))
    mid = d.milestone_ids[0]
    d.staff.post("/admin/deposits", json={"user_id": d.brand_id, "amount": 50000, "currency": "CNY",
                                          "reference": "ICBC-PREVIEW-1"})
    assert d.brand.post(f"/milestones/{mid}/fund").status_code == 200
    brand_email, provider_email = _emails(app, d)
    login(type("U", (), {"email": provider_email})())
    response = client.post(f"/contracts/milestones/{mid}/deliver", content_type="multipart/form-data", data={
        "note": "Key visual, final", "links": "", "files": (io.BytesIO(ORIGINAL), "key-visual.jpg"),
        "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")})
    assert response.status_code == 302
    return d, mid, brand_email, provider_email


def test_the_brand_sees_only_watermarked_previews_until_release(app, client, delivered):
    d, mid, brand_email, provider_email = delivered
    switch(client, type("U", (), {"email": brand_email})())
    page = _page(client, d.contract_id)
    assert 'data-testid="thumb-pending"' in page and "Preview being prepared" in page  # before the job ran
    assert d.brand.get(f"/milestones/{mid}").json["deliveries"][0]["files"][0]["preview_url"] is None

    run_worker_burst(UPLOAD_DIR=app.config["UPLOAD_DIR"])  # the real job, in a real worker process

    page = _page(client, d.contract_id)
    assert 'data-testid="thumb-pending"' not in page and 'data-testid="original-withheld"' in page
    original = _stored_original(app)
    urls = set(re.findall(r'(?:href|src)="(/contracts/milestones/\d+/files/[^"]+)"', page))
    assert {u.rsplit("/", 1)[1] for u in urls} == {"thumb", "view"}  # no link to the original on the page
    file_id = re.search(r"/files/(\d+)/view", page).group(1)
    api_file = d.brand.get(f"/milestones/{mid}").json["deliveries"][0]["files"][0]
    assert api_file["original_available"] is False
    every_url = urls | {f"/contracts/milestones/{mid}/files/{file_id}", api_file["url"], api_file["preview_url"],
                        api_file["thumbnail_url"], f"/api/v1/milestones/{mid}/files/{file_id}/original"}
    for url in every_url:  # whatever the brand asks for, the original's bytes never come back
        response = d.brand.get(url.removeprefix("/api/v1")) if url.startswith("/api/") else client.get(url)
        assert response.data != original, url
    assert client.get(f"/contracts/milestones/{mid}/files/{file_id}").status_code == 403
    refused = d.brand.get(f"/milestones/{mid}/files/{file_id}", headers={"Accept-Language": "en"})
    assert refused.status_code == 403 and "once this milestone is released" in refused.json["error"]["message"]

    view = client.get(f"/contracts/milestones/{mid}/files/{file_id}/view")
    assert view.status_code == 200 and view.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(view.data)) as preview:
        assert max(preview.size) <= 1200 and preview.size == (1200, 800)
        # the photo is one flat colour: every other colour in the preview is the mark, tiled over all of it
        for left in range(0, 1200, 400):
            for top in range(0, 800, 400):
                tile = preview.crop((left, top, left + 400, top + 400)).convert("RGB").get_flattened_data()
                assert sum(1 for px in tile if abs(px[0] - 30) + abs(px[2] - 200) > 60) > 500, (left, top)
    with Image.open(io.BytesIO(client.get(f"/contracts/milestones/{mid}/files/{file_id}/thumb").data)) as thumb:
        assert max(thumb.size) <= 320

    switch(client, type("U", (), {"email": provider_email})())  # the provider has the original all along
    assert client.get(f"/contracts/milestones/{mid}/files/{file_id}").data == original

    assert d.brand.post(f"/milestones/{mid}/accept").status_code == 200
    switch(client, type("U", (), {"email": brand_email})())
    assert client.get(f"/contracts/milestones/{mid}/files/{file_id}").data == original  # released: it is theirs
    assert d.brand.get(f"/milestones/{mid}/files/{file_id}").data == original
    assert d.brand.get(f"/milestones/{mid}").json["deliveries"][0]["files"][0]["original_available"] is True
    assert 'data-testid="original-withheld"' not in _page(client, d.contract_id)


def test_someone_elses_delivery_is_not_found(app, client, delivered, make_user, api):
    d, mid, _, _ = delivered
    run_worker_burst(UPLOAD_DIR=app.config["UPLOAD_DIR"])
    stranger = make_user("brand")
    file_id = d.provider.get(f"/milestones/{mid}").json["deliveries"][0]["files"][0]["id"]
    for variant in ("", "/thumb", "/view"):
        assert api(stranger).get(f"/milestones/{mid}/files/{file_id}{variant}").status_code == 404
    switch(client, stranger)
    for variant in ("", "/thumb", "/view", "/original"):
        assert client.get(f"/contracts/milestones/{mid}/files/{file_id}{variant}").status_code == 404
