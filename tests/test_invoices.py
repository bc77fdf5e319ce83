"""Issue 18 item 3: invoice records for releases — the provider's to the brand (the brand's invoice title
and tax id, a configured tax rate, a number unique per provider, an optional official PDF checked by
content) and the platform's to the provider for its commission; who sees them, and bad input."""
import io

import pytest
from pypdf import PdfWriter

from extensions import db
from models import Contract, Invoice
from models.types import utcnow
from services.platform_invoices import tax_in
from services.statements import Month
from tests.support.web import as_user, csrf_token, form_post, signed_in, switch
from tests.test_statements import _pdf_text

TAX_ID = "91330106MA2B3C4D5E"


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload(api, invoice_id: int, data: bytes, name: str = "fapiao.pdf"):
    return api.post(f"/invoices/{invoice_id}/file", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


@pytest.fixture
def released(deal):
    """A contract whose first milestone is released; the brand has filled in its invoice details."""
    d = deal(amounts=(100000_00, 50000_00))
    r = d.brand.put("/me/brand-profile", json={"store_name": "光影服饰旗舰店", "size_tier": "small",
                                               "invoice_title": "杭州光影服饰有限公司", "tax_id": TAX_ID.lower()})
    assert r.status_code == 200, r.json
    d.deposit(150000_00)
    d.release(0)
    return d


def test_the_provider_invoices_a_release_once_and_the_brand_sees_it(released, api, make_user):
    d = released
    url = f"/milestones/{d.milestone_ids[0]}/invoice"
    r = d.provider.post(url, json={"number": "FP-2026-001", "tax_rate_bps": 600})
    assert r.status_code == 201, r.json
    invoice = r.json
    assert (invoice["kind"], invoice["amount"], invoice["tax_rate_bps"]) == ("provider", 100000_00, 600)
    assert invoice["tax_amount"] == tax_in(100000_00, 600) == 566038  # ¥100,000 × 6/106, to the fen
    assert (invoice["title"], invoice["tax_id"]) == ("杭州光影服饰有限公司", TAX_ID)
    assert invoice["recipient_id"] == d.brand_id and invoice["sha256"] is None

    again = d.provider.post(url, json={"number": "FP-2026-002", "tax_rate_bps": 600})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_invoiced"

    listed = d.brand.get(f"/contracts/{d.contract_id}/invoices").json
    assert [i["number"] for i in listed["items"]] == ["FP-2026-001"] and 600 in listed["tax_rates"]
    assert api(make_user("brand")).get(f"/contracts/{d.contract_id}/invoices").status_code == 404
    assert api(make_user("provider")).get(f"/contracts/{d.contract_id}/invoices").status_code == 404


def test_bad_invoices_are_refused_with_the_field_named(released, api, make_user):
    d = released
    url = f"/milestones/{d.milestone_ids[0]}/invoice"
    r = d.provider.post(url, json={"number": "FP 1 ✓", "tax_rate_bps": 700})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"number", "tax_rate_bps"}
    r = d.provider.post(url, json={"number": "FP-1", "tax_rate_bps": "600"})
    assert r.status_code in (400, 422)
    second = f"/milestones/{d.milestone_ids[1]}/invoice"
    unreleased = d.provider.post(second, json={"number": "FP-2", "tax_rate_bps": 0})
    assert unreleased.status_code == 409 and unreleased.json["error"]["code"] == "not_released"
    assert d.brand.post(url, json={"number": "FP-1", "tax_rate_bps": 600}).status_code == 403
    assert api(make_user("provider")).post(url, json={"number": "FP-1", "tax_rate_bps": 600}).status_code == 404

    assert d.provider.post(url, json={"number": "FP-1", "tax_rate_bps": 300}).status_code == 201
    d.deposit(50000_00)
    d.release(1)
    reused = d.provider.post(second, json={"number": "FP-1", "tax_rate_bps": 300})
    assert reused.status_code == 422 and "number" in reused.json["error"]["fields"]


def test_the_official_pdf_is_checked_by_its_content(released, api, make_user):
    d = released
    invoice = d.provider.post(f"/milestones/{d.milestone_ids[0]}/invoice",
                              json={"number": "FP-9", "tax_rate_bps": 600}).json
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert _upload(d.provider, invoice["id"], png, "fapiao.pdf").status_code == 422  # named .pdf, is not
    broken = _upload(d.provider, invoice["id"], b"%PDF-1.7\n%broken, no pages, no trailer\n")
    assert broken.status_code == 422 and "file" in broken.json["error"]["fields"]
    assert _upload(d.brand, invoice["id"], _pdf()).status_code == 403  # the brand does not issue
    assert _upload(api(make_user("provider")), invoice["id"], _pdf()).status_code == 404

    pdf = _pdf()
    r = _upload(d.provider, invoice["id"], pdf)
    assert r.status_code == 201 and r.json["sha256"]
    assert _upload(d.provider, invoice["id"], pdf).status_code == 409
    got = d.brand.get(f"/invoices/{invoice['id']}/file")
    assert got.status_code == 200 and got.data == pdf
    assert api(make_user("brand")).get(f"/invoices/{invoice['id']}/file").status_code == 404


def test_a_release_records_the_platforms_invoice_for_its_commission(released, app):
    d = released
    items = d.provider.get(f"/contracts/{d.contract_id}/invoices").json["items"]
    [platform] = [i for i in items if i["kind"] == "platform"]
    assert (platform["milestone_id"], platform["issuer_id"], platform["amount"]) == (d.milestone_ids[0], None, 10000_00)
    assert platform["tax_amount"] == tax_in(10000_00, 600) and platform["number"] == f"WK-{d.milestone_ids[0]:08d}"
    assert d.brand.get(f"/contracts/{d.contract_id}/invoices").json["items"] == []  # it goes to the provider

    url = f"/admin/milestones/{d.milestone_ids[0]}/platform-invoice"
    assert d.provider.post(url).status_code == 403
    again = d.staff.post(url)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_invoiced"
    unreleased = d.staff.post(f"/admin/milestones/{d.milestone_ids[1]}/platform-invoice")
    assert unreleased.status_code == 409 and unreleased.json["error"]["code"] == "not_released"
    with app.app_context():  # a release from before invoice records: staff record the platform's afterwards
        db.session.execute(db.delete(Invoice))
        db.session.commit()
    r = d.staff.post(url)
    assert r.status_code == 201 and r.json["amount"] == 10000_00


def test_a_decided_dispute_records_the_platforms_invoice_on_the_providers_share(deal):
    d = deal(amounts=(100000_00,))
    d.deposit(100000_00)
    d.fund(0)
    d.deliver(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).json["id"]
    assert d.staff.post(f"/disputes/{dispute}/resolve",
                        json={"provider_amount": 40000_00, "reason": "Partly usable."}).status_code == 200
    items = d.provider.get(f"/contracts/{d.contract_id}/invoices").json["items"]
    assert [(i["kind"], i["amount"]) for i in items] == [("platform", 4000_00)]
    r = d.provider.post(f"/milestones/{d.milestone_ids[0]}/invoice", json={"number": "FP-D1", "tax_rate_bps": 600})
    assert r.status_code == 201 and r.json["amount"] == 40000_00  # the provider invoices its share


def test_a_bad_tax_id_is_refused(deal):
    d = deal(amounts=(100000_00,))
    r = d.brand.put("/me/brand-profile", json={"store_name": "店", "size_tier": "small", "tax_id": "12345"})
    assert r.status_code == 422 and "tax_id" in r.json["error"]["fields"]


def _email(app, contract_id: int, side: str) -> str:
    with app.app_context():
        return getattr(db.session.get(Contract, contract_id), side).email


def test_the_web_pages_record_and_show_invoices(app, released, client, login):
    d = released
    m = d.milestone_ids[0]
    login(as_user(_email(app, d.contract_id, "provider")))
    page = client.get(f"/contracts/{d.contract_id}").get_data(as_text=True)
    assert f'data-testid="invoice-form-{m}"' in page and f"invoice-form-{d.milestone_ids[1]}" not in page
    token = csrf_token(client, f"/contracts/{d.contract_id}")
    url = f"/contracts/milestones/{m}/invoice"
    r = client.post(url, follow_redirects=True, data={"csrf_token": token, "number": "FP-WEB-1", "tax_rate": "700"})
    assert "FP-WEB-1" not in r.get_data(as_text=True)  # not a rate on the list: nothing recorded
    r = client.post(url, follow_redirects=True, content_type="multipart/form-data",
                    data={"csrf_token": token, "number": "FP-WEB-1", "tax_rate": "600",
                          "file": (io.BytesIO(b"%PDF-1.4 not really"), "fapiao.pdf")})
    assert "PDF" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Invoice.id)).where(Invoice.kind == "provider")) == 0
    pdf = _pdf()
    r = client.post(url, follow_redirects=True, content_type="multipart/form-data",
                    data={"csrf_token": token, "number": "FP-WEB-1", "tax_rate": "600",
                          "file": (io.BytesIO(pdf), "fapiao.pdf")})
    assert f'data-testid="invoice-provider-{m}"' in r.get_data(as_text=True)

    switch(client, as_user(_email(app, d.contract_id, "brand")))
    page = client.get(f"/contracts/{d.contract_id}").get_data(as_text=True)
    assert "FP-WEB-1" in page and "杭州光影服饰有限公司" in page and "invoice-form-" not in page
    assert f'data-testid="invoice-none-{d.milestone_ids[1]}"' not in page  # not released: nothing to invoice
    with app.app_context():
        invoice_id = db.session.scalar(db.select(Invoice.id).where(Invoice.kind == "provider"))
    assert client.get(f"/contracts/invoices/{invoice_id}/file").data == pdf


def test_statements_list_the_months_invoices(released, app):
    d = released
    d.provider.post(f"/milestones/{d.milestone_ids[0]}/invoice", json={"number": "FP-STMT-7", "tax_rate_bps": 600})
    platform_number = f"WK-{d.milestone_ids[0]:08d}"
    page = signed_in(app, d.brand_id).get("/statements").get_data(as_text=True)
    assert 'data-testid="statement-invoices"' in page and "FP-STMT-7" in page
    assert platform_number not in page  # the platform's invoice goes to the provider
    this_month = Month.containing(utcnow(), "Asia/Shanghai")
    provider = signed_in(app, d.provider.get("/me").json["id"])
    text = _pdf_text(provider.get(f"/statements/{this_month}.pdf").data)
    assert "FP-STMT-7" in text and platform_number in text


def test_the_brand_profile_page_keeps_the_invoice_details(app, client, login, make_user):
    brand = make_user("brand")
    login(brand)
    form = {"store_name": "光影服饰旗舰店", "size_tier": "small", "registration_number": "",
            "invoice_title": "杭州光影服饰有限公司", "tax_id": "12345"}
    r = form_post(client, "/account/profile", form)
    assert r.status_code == 422 and "15、17、18 或 20 位" in r.get_data(as_text=True)
    r = form_post(client, "/account/profile", {**form, "tax_id": TAX_ID})
    assert r.status_code == 302
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'value="杭州光影服饰有限公司"' in page and f'value="{TAX_ID}"' in page
