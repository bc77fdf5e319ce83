"""Disputes through the pages: open from the contract, add evidence, staff decide from the queue."""
import io
import re

from extensions import db
from models import User
from tests.support.web import as_user, csrf_token, form_post, switch


def emails(app, d):
    with app.app_context():
        return (db.session.get(User, d.brand_id).email,
                db.session.get(User, d.provider.get("/me").json["id"]).email)


def test_dispute_in_the_pages(client, login, deal, make_user, app):
    d = deal(amounts=(100000, 20000, 30000))
    d.deposit(150000)
    d.fund(0)
    d.deliver(0)
    brand_email, provider_email = emails(app, d)
    mid = d.milestone_ids[0]
    login(as_user(brand_email))
    page = client.get(f"/contracts/{d.contract_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Open a dispute" in page
    data = {"reason": "quality", "statement": "Blurry images", "links": "https://pan.example.com/s/proof",
            "files": (io.BytesIO(b"%PDF-1.4 screenshots" + b"0" * 50), "screens.pdf"),
            "csrf_token": csrf_token(client, f"/contracts/{d.contract_id}")}
    r = client.post(f"/disputes/open/{mid}", data=data, content_type="multipart/form-data")
    assert r.status_code == 302 and "/disputes/" in r.headers["Location"]
    dispute_url = r.headers["Location"]
    page = client.get(dispute_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "screens.pdf" in page and 'data-testid="response-provider">Waiting<' in page
    assert 'id="decide"' not in page  # parties never see the decision form

    switch(client, as_user(provider_email))
    form_post(client, dispute_url + "/evidence", {"note": "Here are the sharp originals"}, page=dispute_url)
    page = client.get(dispute_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Here are the sharp originals" in page and 'data-testid="response-provider">Responded<' in page
    forbidden = client.post(dispute_url + "/resolve", data={"provider_amount": "1000",
                                                            "csrf_token": csrf_token(client, dispute_url)})
    assert forbidden.status_code == 403

    staff = make_user("admin")
    switch(client, staff)
    queue = client.get("/disputes/queue", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert dispute_url.split("/")[-1] in re.findall(r"/disputes/(\d+)", queue)
    page = client.get(dispute_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="decide"' in page and 'data-testid="audit"' in page and "Delivery 1" in page
    r = form_post(client, dispute_url + "/resolve", {"provider_amount": "400.00", "reason": "Half usable."},
                  page=dispute_url, follow_redirects=True, headers={"Accept-Language": "en"})
    html = r.get_data(as_text=True)
    assert 'data-testid="decision"' in html and "¥400.00 to the provider, ¥600.00 back to the brand" in html
    assert 'data-testid="dispute-status">Decided<' in html
    r = form_post(client, dispute_url + "/resolve", {"provider_amount": "1000", "reason": "again"},
                  page=dispute_url, follow_redirects=True, headers={"Accept-Language": "en"})
    assert "already decided" in r.get_data(as_text=True)
    assert d.milestone(0)["status"] == "resolved"


def test_strangers_get_404_on_dispute_pages(client, login, deal, make_user):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "late"}).json["id"]
    login(make_user("provider"))
    assert client.get(f"/disputes/{dispute}").status_code == 404
    assert client.get("/disputes/queue").status_code == 403


def test_staff_decide_a_full_refund_and_see_why_a_decision_is_refused(client, login, deal, make_user):
    """0 to the provider is a decision (a full refund), not an empty field; an amount no form could hold
    is refused with a message on the page, never a server error."""
    d = deal(amounts=(100000, 20000, 30000))
    d.deposit(150000)
    d.fund(0)
    d.deliver(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes",
                           json={"reason": "quality", "statement": "Unusable"}).json["id"]
    login(make_user("admin"))
    url = f"/disputes/{dispute}"
    english = {"Accept-Language": "en"}
    r = form_post(client, url + "/resolve", {"provider_amount": "1e999999", "reason": "Typo"}, page=url,
                  follow_redirects=True, headers=english)  # the form comes back as typed, the message by its field
    named = '<small class="error">Amount to the provider: Not a valid decimal value'
    assert r.status_code == 422 and named in r.get_data(as_text=True)
    assert 'value="1e999999"' in r.get_data(as_text=True)
    r = form_post(client, url + "/resolve", {"provider_amount": "", "reason": "Typo"}, page=url,
                  follow_redirects=True, headers=english)  # a message of the form's own (a lazy translation)
    assert "Enter an amount (0 for a full refund)." in r.get_data(as_text=True)
    r = form_post(client, url + "/resolve", {"provider_amount": "0", "reason": "Nothing usable was delivered."},
                  page=url, follow_redirects=True, headers=english)
    assert "¥0.00 to the provider, ¥1,000.00 back to the brand" in r.get_data(as_text=True)
    assert d.milestone(0)["status"] == "resolved"
