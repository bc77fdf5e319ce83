"""Escrow through the pages: staff record a transfer, the brand funds, the provider delivers files,
the brand asks for changes and accepts; both see the countdown; the wallet lists the entries."""
import hashlib
import io
import re
from pathlib import Path

from extensions import db
from models import BrandProfile, Milestone, User
from tests.support.pages import assert_labels_point_at_inputs, get_html
from tests.support.queries import counting_queries
from tests.support.web import csrf_token, form_post, switch

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def contract_page(client, contract_id) -> str:
    return client.get(f"/contracts/{contract_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_escrow_flow_in_the_pages(client, login, deal, make_user, app):
    d = deal(amounts=(12345, 20000, 30000))
    with app.app_context():
        brand = db.session.get(User, d.brand_id)
        brand_email = brand.email
        provider_email = db.session.get(User, d.provider.get("/me").json["id"]).email
    staff = make_user("admin")
    login(staff)
    r = form_post(client, "/admin/deposits", {"email": brand_email, "amount": "500.00", "currency": "CNY",
                                              "reference": "ICBC-20261122-001"})
    assert r.status_code == 302
    again = form_post(client, "/admin/deposits", {"email": brand_email, "amount": "500.00", "currency": "CNY",
                                                  "reference": "ICBC-20261122-001"})
    assert again.status_code == 422  # the same bank reference twice: refused on the form
    summary = client.get("/admin/deposits").get_data(as_text=True)
    assert "¥500.00" in summary

    switch(client, type("U", (), {"email": brand_email})())
    mid = d.milestone_ids[0]
    r = form_post(client, f"/contracts/milestones/{mid}/fund", {}, page=f"/contracts/{d.contract_id}")
    assert r.status_code == 302
    page = contract_page(client, d.contract_id)
    assert 'data-testid="milestone-status-1">In escrow<' in page

    switch(client, type("U", (), {"email": provider_email})())
    data = {"note": "Homepage design v1", "links": "https://pan.example.com/s/v1\n",
            "files": (io.BytesIO(PDF), "home-v1.pdf"),
            "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")}
    r = client.post(f"/contracts/milestones/{mid}/deliver", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    page = contract_page(client, d.contract_id)
    assert "home-v1.pdf" in page and f'data-testid="countdown-{mid}"' in page
    sha = re.search(r'SHA-256 <span class="copyable"><code title="([0-9a-f]{64})"', page).group(1)  # whole on hover
    assert sha == hashlib.sha256(PDF).hexdigest()  # stored as sent (images are re-encoded: tests/test_images.py)
    file_url = re.search(r'href="(/contracts/milestones/\d+/files/\d+)"', page).group(1)
    assert client.get(file_url).status_code == 200

    switch(client, type("U", (), {"email": brand_email})())
    assert f'data-testid="countdown-{mid}"' in contract_page(client, d.contract_id)  # the brand sees it too
    form_post(client, f"/contracts/milestones/{mid}/request-changes", {"note": "Bigger logo"},
              page=f"/contracts/{d.contract_id}")
    switch(client, type("U", (), {"email": provider_email})())
    data = {"note": "v2 with a bigger logo", "links": "",
            "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")}
    client.post(f"/contracts/milestones/{mid}/deliver", data=data, content_type="multipart/form-data")
    switch(client, type("U", (), {"email": brand_email})())
    page = contract_page(client, d.contract_id)
    assert "Delivery 2" in page and "Delivery 1" in page
    r = form_post(client, f"/contracts/milestones/{mid}/accept", {}, page=f"/contracts/{d.contract_id}")
    assert r.status_code == 302
    assert 'data-testid="milestone-status-1">Released<' in contract_page(client, d.contract_id)
    wallet = client.get("/wallet", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-testid="balance-brand_wallet">¥376.55<' in wallet  # 500.00 − 123.45

    switch(client, type("U", (), {"email": provider_email})())
    wallet = client.get("/wallet", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-testid="balance-provider_payable">¥111.10<' in wallet  # 123.45 − 12.35 commission


def test_strangers_cannot_see_contract_or_files(client, login, deal, make_user):
    d = deal()
    login(make_user("provider"))
    assert client.get(f"/contracts/{d.contract_id}").status_code == 404
    r = form_post(client, f"/contracts/milestones/{d.milestone_ids[0]}/deliver", {"note": "x"},
                  page="/account")
    assert r.status_code == 404
    assert client.get(f"/contracts/milestones/{d.milestone_ids[0]}/files/1").status_code == 404


def test_insufficient_funds_is_a_message_not_an_error(client, login, deal, app):
    d = deal()
    with app.app_context():
        email = db.session.get(User, d.brand_id).email
    login(type("U", (), {"email": email})())
    r = form_post(client, f"/contracts/milestones/{d.milestone_ids[0]}/fund", {},
                  page=f"/contracts/{d.contract_id}", follow_redirects=True, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and "Your wallet does not cover this milestone" in r.get_data(as_text=True)


def test_request_changes_label_points_at_its_textarea(client, login, deal):
    d = deal()
    d.deposit(450000_00)
    d.fund(0)
    d.deliver(0)
    mid = d.milestone_ids[0]
    login(type("U", (), {"email": d.brand.get("/me").json["email"]})())
    html = get_html(client, f"/contracts/{d.contract_id}")
    page = assert_labels_point_at_inputs(html)
    assert page.tags.get(f"changes-{mid}") == "textarea"
    assert re.search(rf'<label for="changes-{mid}">What needs to change</label>', html)
    assert 'for="note"' not in html


def test_deposits_list_names_the_brand_without_a_query_per_row(app, client, login, api, make_user):
    staff = make_user("admin")
    brands = [make_user("brand") for _ in range(4)]
    with app.app_context():
        db.session.get(BrandProfile, brands[0].id).store_name = "Acme Official Store"
        db.session.commit()
    login(staff)
    r = form_post(client, "/admin/deposits", {"email": brands[0].email, "amount": "500.00", "currency": "CNY",
                                              "reference": "ICBC-20261122-001"})
    assert r.status_code == 302
    with app.app_context():
        engine = db.engine
    with counting_queries(engine) as one_row:
        html = get_html(client, "/admin/deposits")
    cell = re.search(r'data-testid="deposit-brand-\d+">(.*?)</td>', html, re.S).group(1)
    assert "Acme Official Store" in cell and brands[0].email in cell
    assert str(brands[0].id) not in re.sub(r"<[^>]+>", "", cell).replace(brands[0].email, "")

    staff_api = api(staff)
    for i, brand in enumerate(brands[1:]):
        r = staff_api.post("/admin/deposits", json={"user_id": brand.id, "amount": 1000_00, "currency": "CNY",
                                                    "reference": f"ICBC-20261122-10{i}"})
        assert r.status_code == 201, r.json
    with counting_queries(engine) as four_rows:
        html = get_html(client, "/admin/deposits")
    assert len(re.findall(r'data-testid="deposit-brand-', html)) == 4
    for brand in brands[1:]:  # no store name changed: the store name registration gave it
        with app.app_context():
            store = db.session.get(User, brand.id).brand_profile.store_name
        assert store in html and brand.email in html
    assert len(four_rows) == len(one_row), (len(one_row), len(four_rows))


def test_a_refused_delivery_leaves_no_file_behind(client, login, deal, app):
    """Two files, the second of a type that is refused: nothing is delivered, and the first file,
    already written, is removed with the rolled-back transaction."""

    d = deal()
    mid = d.milestone_ids[0]
    d.deposit(150000_00)
    d.fund(0)
    with app.app_context():
        provider = db.session.get(User, d.provider.get("/me").json["id"])
        uploads = Path(app.config["UPLOAD_DIR"])
    login(provider)
    data = {"note": "Two files", "links": "",
            "files": [(io.BytesIO(b"%PDF-1.4 deck" + b"0" * 100), "good.pdf"),
                      (io.BytesIO(b"just text"), "bad.txt")],
            "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")}
    r = client.post(f"/contracts/milestones/{mid}/deliver", data=data, content_type="multipart/form-data",
                    headers={"Accept-Language": "en"})
    assert r.status_code == 302
    assert "Allowed: PDF, images" in client.get(r.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Milestone, mid).status == "funded"
    assert not [path for path in (uploads / "deliveries" / str(mid)).rglob("*") if path.is_file()]
