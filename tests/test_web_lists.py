"""Paged and filterable lists in the pages: contracts (both sides) and a provider's bids, newest first,
twenty a page, filtered by status, with a pager that keeps the filter."""
import re
from datetime import timedelta

import pytest

from extensions import db
from models import Bid, Contract
from models.types import utcnow
from tests.support.factories import bid_payload, tender_payload
from tests.support.pages import get_html
from tests.support.web import switch

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
                assert r.status_code == 201, r.json
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
        first = get_html(client, "/contracts")
        assert titles(first) == [f"Job {i:02d}" for i in range(N - 1, 0, -1)]  # the newest 20
        assert 'href="/contracts?page=2"' in first and "Page 1 of 2" in first
        second = get_html(client, "/contracts?page=2")
        assert titles(second) == ["Job 00"]  # the oldest is on page 2
        assert "Page 2 of 2" in second
        cancelled = get_html(client, "/contracts?status=cancelled")
        assert titles(cancelled) == ["Job 05", "Job 00"]
        assert '<option value="cancelled" selected>' in cancelled
        assert "Page 1 of" not in cancelled  # one page: no pager
        assert titles(get_html(client, "/contracts?status=completed")) == []
        assert "No contract has this status." in get_html(client, "/contracts?status=completed")
    assert client.get("/contracts?status=bogus").status_code == 422


def test_pager_keeps_the_status_filter(app, client, login, busy_provider):
    brand, _provider, _bids, contract_ids = busy_provider(award=True)
    set_status(app, Contract, contract_ids, "completed")
    login(brand)
    html = get_html(client, "/contracts?status=completed")
    assert len(titles(html)) == 20
    assert re.search(r'href="/contracts\?(page=2&amp;status=completed|status=completed&amp;page=2)"', html)
    assert titles(get_html(client, "/contracts?status=completed&page=2")) == ["Job 00"]


def test_my_bids_are_paged_newest_first_and_filter_by_status(app, client, login, busy_provider):
    _brand, provider, bid_ids, _contracts = busy_provider()
    set_status(app, Bid, [bid_ids[3], bid_ids[17]], "withdrawn")
    login(provider)
    first = get_html(client, "/bids/mine")
    assert titles(first) == [f"Job {i:02d}" for i in range(N - 1, 0, -1)]
    assert 'href="/bids/mine?page=2"' in first
    assert titles(get_html(client, "/bids/mine?page=2")) == ["Job 00"]
    withdrawn = get_html(client, "/bids/mine?status=withdrawn")
    assert titles(withdrawn) == ["Job 17", "Job 03"]
    assert '<option value="withdrawn" selected>' in withdrawn
    assert len(titles(get_html(client, "/bids/mine?status=submitted"))) == 19
    assert "No bid has this status." in get_html(client, "/bids/mine?status=awarded")
    assert client.get("/bids/mine?status=bogus").status_code == 422


# --- 3. error pages -----------------------------------------------------------------------------


# --- 4. deposits by brand name ------------------------------------------------------------------
