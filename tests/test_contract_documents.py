"""Issue 18 item 3: on award a contract document is made as a PDF (by a job after the commit), kept once
with its SHA-256, and downloadable by both parties and staff only."""
import hashlib
import io

import pytest
from pypdf import PdfReader

from extensions import db
from models import ContractDocument, OutboxJob
from services import storage
from services.tasks import queue
from tests.support.engagements import periodic_contract
from tests.support.factories import bid_payload, tender_payload
from workers import jobs

PLAN = [{"title": "客服团队组建与培训", "amount": 100000_00, "due_days": 15},
        {"title": "首月七×十五小时在线客服", "amount": 200000_00, "due_days": 45}]


def _text(data: bytes) -> str:
    """The PDF's text without whitespace and NULs: fpdf2 writes the CJK (CFF) font with an embedded
    two-byte CMap, which pypdf reads as one-byte codes, so each character comes out after a NUL
    (poppler's pdftotext reads it cleanly); the characters themselves are exact."""
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text() for page in reader.pages).replace("\x00", "").split())


@pytest.fixture
def awarded(app, api, make_user):
    brand_user = make_user("brand", display_name="杭州光影服饰有限公司")
    provider_user = make_user("provider", display_name="苏州云帆客服外包")
    brand, provider = api(brand_user), api(provider_user)
    tender_id = brand.post("/tenders", json=tender_payload(title="旗舰店售前售后客服外包")).json["id"]
    r = provider.post(f"/tenders/{tender_id}/bids", json=bid_payload(300000_00, milestones=PLAN))
    assert r.status_code == 201, r.json
    assert brand.post(f"/tenders/{tender_id}/close").status_code == 200
    r = brand.post(f"/tenders/{tender_id}/award", json={"bid_id": r.json["id"]})
    assert r.status_code in (200, 201), r.json
    return brand, provider, r.json["contract_id"]


def test_the_award_queues_the_document_and_the_job_makes_it_once(app, awarded, api, make_user):
    brand, provider, contract_id = awarded
    with app.app_context():
        row = db.session.scalar(db.select(OutboxJob).where(OutboxJob.name == "make_contract_document"))
        assert (row.args, row.queue) == ([contract_id], "documents")  # never ahead of money on default
        [job_id] = queue("documents").get_job_ids()  # pushed after the award's commit, onto its own queue
        assert job_id == row.rq_job_id
    assert brand.get(f"/contracts/{contract_id}/document").status_code == 404  # not made yet
    with app.app_context():
        assert jobs.make_contract_document(contract_id) == "made"
        assert jobs.make_contract_document(contract_id) == "done before"  # RQ may deliver it twice
        document = db.session.scalar(db.select(ContractDocument).where(ContractDocument.contract_id == contract_id))
        stored = storage.path_of(document.stored_name).read_bytes()
        assert db.session.scalar(db.select(db.func.count(ContractDocument.id))) == 1
    assert hashlib.sha256(stored).hexdigest() == document.sha256

    for party in (brand, provider, api(make_user("admin"))):
        r = party.get(f"/contracts/{contract_id}/document")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert r.data == stored and r.headers["X-Content-SHA256"] == document.sha256
        assert "attachment" in r.headers["Content-Disposition"]
    text = _text(stored)
    for expected in ("杭州光影服饰有限公司", "苏州云帆客服外包", "旗舰店售前售后客服外包", "客服团队组建与培训",
                     "首月七×十五小时在线客服", "¥100,000.00", "¥200,000.00", "first-response", "服务合同",
                     "里程碑", "争议", "付款"):
        assert expected in text, expected


def test_others_get_404(app, awarded, api, make_user):
    _, _, contract_id = awarded
    with app.app_context():
        jobs.make_contract_document(contract_id)
    assert api(make_user("provider")).get(f"/contracts/{contract_id}/document").status_code == 404
    assert api(make_user("brand")).get(f"/contracts/{contract_id}/document").status_code == 404
    assert api().get(f"/contracts/{contract_id}/document").status_code == 401
    assert api(make_user("brand")).get("/contracts/999999/document").status_code == 404


def test_the_contract_page_links_the_document(app, awarded, client, login):
    _, _, contract_id = awarded
    with app.app_context():
        jobs.make_contract_document(contract_id)
        document = db.session.scalar(db.select(ContractDocument))
        brand_user = document.contract.brand
        db.session.refresh(brand_user)
        db.session.expunge(brand_user)
    login(brand_user)
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert f"/contracts/{contract_id}/document.pdf" in page and document.sha256[:16] in page
    r = client.get(f"/contracts/{contract_id}/document.pdf")
    assert r.status_code == 200 and r.data[:5] == b"%PDF-"


def test_a_retainer_contract_lists_its_periods_and_kpi_terms(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=3, period_days=30)
    with app.app_context():
        assert jobs.make_contract_document(c.contract_id) == "made"
    text = _text(c.brand.get(f"/contracts/{c.contract_id}/document").data)
    assert "周期" in text and "KPI条款" in text and text.count("¥100,000.00") >= 3  # a fee per period
    assert "达标奖励" in text and "10%" in text  # the bonus term of its KPI
