"""Pictures on profiles: the provider's avatar and portfolio case images, the brand's logo — uploaded
through the pages and the API, cleaned like every image, shown in the directory, on the provider page,
in the tender hall and the header."""
import io
import re

from PIL import Image

from extensions import db
from models import Upload, User
from services.runners import images as image_job
from tests.support.factories import tender_payload
from tests.support.images import photo, photo_with_gps
from tests.support.web import csrf_token

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def put_file(caller, path: str, data: bytes, name: str):
    return caller.client.put("/api/v1" + path, data={"file": (io.BytesIO(data), name)},
                             headers={"Authorization": f"Bearer {caller.token}", "Accept-Language": "en"},
                             content_type="multipart/form-data")


def derive_all(app) -> None:
    """What the worker does after the commit (the job runs in a real worker in test_protected_previews)."""
    with app.app_context():
        for upload_id in db.session.scalars(db.select(Upload.id)).all():
            image_job.derive(upload_id)


def test_a_provider_page_shows_the_avatar_and_the_portfolio(app, client, make_user, api, login):
    provider = make_user("provider", display_name="Lens & Light")
    seller = api(provider)
    profile = {"company_name": "Lens & Light Studio", "categories": ["photography"], "province": None, "city": None,
               "description": "", "team_size": 4}
    assert seller.put("/me/provider-profile", json=profile).status_code == 200
    case = seller.post("/me/cases", json={"title": "Detail page redesign", "category": "design",
                                          "metric": "conversion rate", "before_value": "0.85 %", "after_value": "3 %",
                                          "client_brand": "Tea House"}).json
    login(provider)
    response = client.post("/account/avatar", content_type="multipart/form-data", data={
        "file": (io.BytesIO(photo_with_gps((400, 400))), "me.jpg"),
        "csrf_token": csrf_token(client, "/account/profile")})
    assert response.status_code == 302
    r = put_file(seller, f"/me/cases/{case['id']}/image", photo((1800, 1200)), "case.jpg")
    assert r.status_code == 200 and r.json["image_url"] == f"/providers/{provider.id}/cases/{case['id']}/view"

    before = client.get(f"/avatars/{provider.id}")  # the cleaned original stands in until the thumbnail is made
    assert before.status_code == 200 and b"Exif" not in before.data
    derive_all(app)
    with Image.open(io.BytesIO(client.get(f"/avatars/{provider.id}").data)) as thumb:
        assert max(thumb.size) <= 320
    with Image.open(io.BytesIO(client.get(r.json["image_url"]).data)) as view:
        assert view.size == (1200, 800)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    page = client.get(f"/providers/{provider.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'src="/avatars/{provider.id}?v=' in page  # public: an anonymous visitor sees it
    assert 'data-testid="case-image"' in page and "Client: Tea House" in page and "0.85 % → 3 %" in page
    directory = client.get("/providers", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'src="/avatars/{provider.id}?v=' in directory
    assert api().get(f"/providers/{provider.id}").json["avatar_url"] == f"/avatars/{provider.id}"


def test_a_brand_logo_shows_in_the_tender_hall_and_the_header(app, client, make_user, api, login):
    brand = make_user("brand")
    buyer = api(brand)
    assert put_file(buyer, "/me/avatar", photo((300, 300), fmt="PNG"), "logo.png").json == {
        "avatar_url": f"/avatars/{brand.id}"}
    assert buyer.post("/tenders", json=tender_payload(title="Autumn key visual")).status_code == 201
    hall = client.get("/tenders", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(rf'<p class="by"><img class="avatar avatar-sm" src="/avatars/{brand.id}\?v=', hall)
    login(brand)
    assert f'src="/avatars/{brand.id}?v=' in client.get("/account").get_data(as_text=True)  # the header
    assert buyer.delete("/me/avatar").json == {"avatar_url": None}
    assert client.get(f"/avatars/{brand.id}").status_code == 404


def test_a_picture_must_be_an_image_and_a_case_must_be_ones_own(app, client, make_user, api, login):
    provider, other = make_user("provider"), make_user("provider")
    refused = put_file(api(provider), "/me/avatar", PDF, "me.pdf")
    assert refused.status_code == 422 and refused.json["error"]["fields"]["file"] == "Choose a PNG, JPEG or WebP image."
    case = api(other).post("/me/cases", json={"title": "Theirs", "category": "design"}).json
    assert put_file(api(provider), f"/me/cases/{case['id']}/image", photo(), "x.jpg").status_code == 404
    with app.app_context():
        assert db.session.query(Upload).count() == 0 and db.session.get(User, provider.id).avatar_name is None
    login(provider)  # on the page, the reason is shown
    client.post("/account/avatar", content_type="multipart/form-data", headers={"Accept-Language": "en"}, data={
        "file": (io.BytesIO(b""), "empty.png"), "csrf_token": csrf_token(client, "/account/profile")})
    page = client.get("/account/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The file is empty." in page
