"""Escrow through the pages: staff record a transfer, the brand funds, the provider delivers files,
the brand asks for changes and accepts; both see the countdown; the wallet lists the entries."""
import io
import re

from tests.conftest import csrf_token, form_post
from tests.test_web_bids import switch


def contract_page(client, contract_id) -> str:
    return client.get(f"/contracts/{contract_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_escrow_flow_in_the_pages(client, login, deal, make_user, app):
    from models import User

    d = deal(amounts=(12345, 20000, 30000))
    with app.app_context():
        from extensions import db
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
            "files": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "home-v1.png"),
            "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")}
    r = client.post(f"/contracts/milestones/{mid}/deliver", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    page = contract_page(client, d.contract_id)
    assert "home-v1.png" in page and f'data-testid="countdown-{mid}"' in page
    sha = re.search(r"SHA-256 <code>([0-9a-f]{64})</code>", page).group(1)
    import hashlib
    assert sha == hashlib.sha256(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).hexdigest()
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
    from extensions import db
    from models import User

    d = deal()
    with app.app_context():
        email = db.session.get(User, d.brand_id).email
    login(type("U", (), {"email": email})())
    r = form_post(client, f"/contracts/milestones/{d.milestone_ids[0]}/fund", {},
                  page=f"/contracts/{d.contract_id}", follow_redirects=True, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and "Your wallet does not cover this milestone" in r.get_data(as_text=True)
