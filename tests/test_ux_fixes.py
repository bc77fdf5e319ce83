"""Fixes from the UX review: labels that point at their inputs, paged and filterable contract and bid
lists, error pages whose tab says what went wrong, and brands by name on the deposits page."""
import re
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from extensions import db
from models import Bid, BrandProfile, Contract, User
from models.types import utcnow
from tests.conftest import form_post
from tests.factories import bid_payload, tender_payload
from tests.test_queries import counting_queries
from tests.test_web_bids import switch

EN = {"Accept-Language": "en"}


class _Elements(HTMLParser):
    """Every element's id, and every <label for=…>, of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []
        self.tags: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
            self.tags[attrs["id"]] = tag
        if tag == "label" and attrs.get("for"):
            self.label_for.append(attrs["for"])


def assert_labels_point_at_inputs(html: str) -> _Elements:
    page = _Elements(html)
    missing = [target for target in page.label_for if target not in page.ids]
    assert not missing, f"labels point at no element: {missing}"
    # Every form carries a hidden csrf_token input; apart from those, an id names one element.
    twice = {i: n for i, n in Counter(page.ids).items() if n > 1 and i != "csrf_token"}
    assert not twice, f"ids used more than once: {twice}"
    return page


def get(client, path: str, **headers) -> str:
    response = client.get(path, headers={**EN, **headers})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- 1. labels ----------------------------------------------------------------------------------

def test_request_changes_label_points_at_its_textarea(client, login, deal):
    d = deal()
    d.deposit(450000_00)
    d.fund(0)
    d.deliver(0)
    mid = d.milestone_ids[0]
    login(type("U", (), {"email": d.brand.get("/me").json["email"]})())
    html = get(client, f"/contracts/{d.contract_id}")
    page = assert_labels_point_at_inputs(html)
    assert page.tags.get(f"changes-{mid}") == "textarea"
    assert re.search(rf'<label for="changes-{mid}">What needs to change</label>', html)
    assert 'for="note"' not in html


def test_provider_profile_fields_have_distinct_ids(client, login, make_user):
    login(make_user("provider"))
    html = get(client, "/account/profile")
    page = assert_labels_point_at_inputs(html)
    assert page.tags.get("description") == "textarea"  # the company description
    assert page.tags.get("case-description") == "textarea"  # the showcase case's
    assert '<label for="case-description">What you did</label>' in html


# --- 2. paged, filterable lists ------------------------------------------------------------------

N = 21  # one more than a page


@pytest.fixture
def busy_provider(app, api, make_user):
    """A brand and a provider with N bids on N tenders ("Job 00" oldest … "Job 20" newest); with
    award=True every bid is awarded, so they share N contracts."""

    def build(award: bool = False):
        brand_user, provider_user = make_user("brand"), make_user("provider")
        brand, provider = api(brand_user), api(provider_user)
        bid_ids, contract_ids = [], []
        for i in range(N):
            tender_id = brand.post("/tenders", json=tender_payload(title=f"Job {i:02d}")).json["id"]
            r = provider.post(f"/tenders/{tender_id}/bids", json=bid_payload())
            assert r.status_code == 201, r.json
            bid_ids.append(r.json["id"])
            if award:
                assert brand.post(f"/tenders/{tender_id}/close").status_code == 200
                r = brand.post(f"/tenders/{tender_id}/award", json={"bid_id": bid_ids[-1]})
                assert r.status_code in (200, 201), r.json
                contract_ids.append(r.json["contract_id"])
        # Distinct creation times, one hour apart, oldest first: "newest first" is then unambiguous.
        start = utcnow() - timedelta(days=2)
        with app.app_context():
            for i, (bid_id, contract_id) in enumerate(zip(bid_ids, contract_ids or [None] * N, strict=True)):
                db.session.get(Bid, bid_id).created_at = start + timedelta(hours=i)
                if contract_id:
                    db.session.get(Contract, contract_id).created_at = start + timedelta(hours=i)
            db.session.commit()
        return brand_user, provider_user, bid_ids, contract_ids

    return build


def titles(html: str) -> list[str]:
    return re.findall(r">(Job \d\d)</a>", html)


def set_status(app, model, ids, status):
    with app.app_context():
        for row_id in ids:
            db.session.get(model, row_id).status = status
        db.session.commit()


def test_contracts_are_paged_newest_first_and_filter_by_status(app, client, login, busy_provider):
    brand, provider, _bids, contract_ids = busy_provider(award=True)
    set_status(app, Contract, [contract_ids[0], contract_ids[5]], "cancelled")
    login(brand)
    for user in (brand, provider):  # both sides of the contracts see the same list
        switch(client, user)
        first = get(client, "/contracts")
        assert titles(first) == [f"Job {i:02d}" for i in range(N - 1, 0, -1)]  # the newest 20
        assert 'href="/contracts?page=2"' in first and "Page 1 of 2" in first
        second = get(client, "/contracts?page=2")
        assert titles(second) == ["Job 00"]  # the oldest is on page 2
        assert "Page 2 of 2" in second
        cancelled = get(client, "/contracts?status=cancelled")
        assert titles(cancelled) == ["Job 05", "Job 00"]
        assert '<option value="cancelled" selected>' in cancelled
        assert "Page 1 of" not in cancelled  # one page: no pager
        assert titles(get(client, "/contracts?status=completed")) == []
        assert "No contract has this status." in get(client, "/contracts?status=completed")
    assert client.get("/contracts?status=bogus").status_code == 422


def test_pager_keeps_the_status_filter(app, client, login, busy_provider):
    brand, _provider, _bids, contract_ids = busy_provider(award=True)
    set_status(app, Contract, contract_ids, "completed")
    login(brand)
    html = get(client, "/contracts?status=completed")
    assert len(titles(html)) == 20
    assert re.search(r'href="/contracts\?(page=2&amp;status=completed|status=completed&amp;page=2)"', html)
    assert titles(get(client, "/contracts?status=completed&page=2")) == ["Job 00"]


def test_my_bids_are_paged_newest_first_and_filter_by_status(app, client, login, busy_provider):
    _brand, provider, bid_ids, _contracts = busy_provider()
    set_status(app, Bid, [bid_ids[3], bid_ids[17]], "withdrawn")
    login(provider)
    first = get(client, "/bids/mine")
    assert titles(first) == [f"Job {i:02d}" for i in range(N - 1, 0, -1)]
    assert 'href="/bids/mine?page=2"' in first
    assert titles(get(client, "/bids/mine?page=2")) == ["Job 00"]
    withdrawn = get(client, "/bids/mine?status=withdrawn")
    assert titles(withdrawn) == ["Job 17", "Job 03"]
    assert '<option value="withdrawn" selected>' in withdrawn
    assert len(titles(get(client, "/bids/mine?status=submitted"))) == 19
    assert "No bid has this status." in get(client, "/bids/mine?status=awarded")
    assert client.get("/bids/mine?status=bogus").status_code == 422


# --- 3. error pages -----------------------------------------------------------------------------

def test_error_page_title_says_what_went_wrong(client, login, make_user):
    html = client.get("/no-such-page", headers=EN).get_data(as_text=True)
    assert "<title>We could not find that page · Witkey</title>" in html
    login(make_user("brand"))
    r = client.get("/contracts/999999", headers=EN)  # a NotFound from a service
    assert r.status_code == 404
    assert "<title>We could not find that page · Witkey</title>" in r.get_data(as_text=True)
    zh = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", zh).group(1)
    assert title.startswith("未找到该页面 · ")


# --- 4. deposits by brand name ------------------------------------------------------------------

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
        html = get(client, "/admin/deposits")
    cell = re.search(r'data-testid="deposit-brand-\d+">(.*?)</td>', html, re.S).group(1)
    assert "Acme Official Store" in cell and brands[0].email in cell
    assert str(brands[0].id) not in re.sub(r"<[^>]+>", "", cell).replace(brands[0].email, "")

    staff_api = api(staff)
    for i, brand in enumerate(brands[1:]):
        r = staff_api.post("/admin/deposits", json={"user_id": brand.id, "amount": 1000_00, "currency": "CNY",
                                                    "reference": f"ICBC-20261122-10{i}"})
        assert r.status_code == 201, r.json
    with counting_queries(engine) as four_rows:
        html = get(client, "/admin/deposits")
    assert len(re.findall(r'data-testid="deposit-brand-', html)) == 4
    for brand in brands[1:]:  # no store name changed: the store name registration gave it
        with app.app_context():
            store = db.session.get(User, brand.id).brand_profile.store_name
        assert store in html and brand.email in html
    assert len(four_rows) == len(one_row), (len(one_row), len(four_rows))
