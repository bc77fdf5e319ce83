"""Keyset (cursor) pagination of the tender list, and its capped count (issue 21, target 4)."""
import re

import pytest

from services import pagination
from tests.support.factories import tender_payload


@pytest.fixture
def tenders(api, make_user):
    brand = api(make_user("brand"))

    def post(n: int, **overrides) -> list[int]:
        ids = []
        for i in range(n):
            r = brand.post("/tenders", json=tender_payload(title=f"Tender {i}", **overrides))
            assert r.status_code == 201, r.json
            ids.append(r.json["id"])
        return ids

    return post


def _walk(api, query: str, cursor: str | None = None, *, collection: str = "tenders") -> tuple[list[int], int]:
    """Follow `next_cursor` from the first page (or from `cursor`) to the end: the ids seen, the pages read."""
    seen, pages = [], 0
    while True:
        r = api().get(f"/{collection}?{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.json
        seen += [t["id"] for t in r.json["items"]]
        pages += 1
        cursor = r.json["next_cursor"]
        if cursor is None:
            return seen, pages


def test_following_next_cursor_reads_every_tender_once_newest_first(api, tenders):
    ids = tenders(25)
    seen, pages = _walk(api, "per_page=10")
    assert seen == ids[::-1] and pages == 3
    by_number = [t["id"] for p in (1, 2, 3) for t in api().get(f"/tenders?per_page=10&page={p}").json["items"]]
    assert by_number == seen  # the same order either way
    first = api().get("/tenders?per_page=10").json
    assert first["total"] == 25 and first["total_is_estimate"] is False and first["page"] == 1


def test_a_new_tender_does_not_shift_the_pages_after_a_cursor(api, tenders):
    ids = tenders(6)
    first = api().get("/tenders?per_page=3").json
    tenders(2)  # posted while the reader is on page one: by page number, page two would repeat two rows
    second = api().get(f"/tenders?per_page=3&cursor={first['next_cursor']}").json
    assert [t["id"] for t in second["items"]] == ids[2::-1]
    assert second["next_cursor"] is None


def test_cursor_keeps_the_filters(api, tenders):
    design = tenders(4, category="design")
    tenders(3)
    seen, pages = _walk(api, "per_page=2&category=design")
    assert seen == design[::-1] and pages == 2


@pytest.mark.parametrize("cursor", ["not-a-cursor", "W10", "eyJ0IjoxfQ", "WyJ4Il0", "W3sidCI6InNvb24ifSwxXQ"])
def test_a_cursor_this_list_did_not_give_out_is_a_422(api, tenders, cursor):
    tenders(2)
    r = api().get(f"/tenders?cursor={cursor}")
    assert r.status_code == 422 and "cursor" in r.json["error"]["fields"], r.json


def test_searches_and_other_orders_page_by_number_only(api, tenders):
    tenders(3)
    for query in ("q=Tender&per_page=1", "sort=brand_score&per_page=1"):
        r = api().get(f"/tenders?{query}")
        assert r.status_code == 200 and r.json["next_cursor"] is None and r.json["total"] == 3
        assert len(api().get(f"/tenders?{query}&page=2").json["items"]) == 1
    cursor = api().get("/tenders?per_page=1").json["next_cursor"]
    assert api().get(f"/tenders?q=Tender&cursor={cursor}").status_code == 422


def test_count_stops_at_the_cap_and_says_so(api, tenders, monkeypatch):
    tenders(4)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    body = api().get("/tenders?per_page=2").json
    assert body["total"] == 3 and body["total_is_estimate"] is True
    seen, _ = _walk(api, "per_page=2")
    assert len(seen) == 4  # the cursor still reaches every row
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    body = api().get("/tenders?per_page=3").json  # another page size: not the answer kept a moment ago
    assert body["total"] == 4 and body["total_is_estimate"] is False


def test_tender_hall_next_links_carry_a_cursor(client, tenders):
    ids = tenders(45)
    html = client.get("/tenders").get_data(as_text=True)
    found = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', html)
    assert found, "the Next link pages by cursor"
    second = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'href="/tenders/(\d+)"', second)]
    assert shown == ids[24:4:-1]
    third = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', second).group(1).replace("&amp;", "&")
    assert [int(i) for i in re.findall(r'href="/tenders/(\d+)"', client.get(third).get_data(as_text=True))] \
        == ids[4::-1]
    # a cursor the hall did not give out: its first page, not an error
    r = client.get("/tenders?cursor=garbage&page=7")
    assert r.status_code == 200 and [int(i) for i in re.findall(r'href="/tenders/(\d+)"', r.get_data(as_text=True))] \
        == ids[:24:-1]


def test_the_hall_says_more_than_the_cap(client, tenders, monkeypatch):
    tenders(4)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    html = client.get("/tenders?per_page=2", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'data-testid="result-count">\s*More than 3 tenders found', html)


# --- the provider directory ----------------------------------------------------------------------------

@pytest.fixture
def providers(app, make_user):
    """make(n): n providers whose stars, scores and verification repeat in a few ties (so the order's last
    part, the id, decides among them), some new (no stars, no score); their ids in the directory's order."""
    from decimal import Decimal  # noqa: PLC0415

    from extensions import db  # noqa: PLC0415
    from models import ProviderProfile  # noqa: PLC0415

    def make(n: int) -> list[int]:
        made, users = [], [make_user("provider") for _ in range(n)]
        with app.app_context():
            for i, user in enumerate(users):
                profile = db.session.get(ProviderProfile, user.id)
                profile.stars = (None, 3, 5, 5, 6)[i % 5]
                profile.rating_score = None if profile.stars is None else Decimal(("60.50", "71.00")[i % 2])
                profile.verification_status = "verified" if i % 3 == 0 else "unsubmitted"
                made.append((profile.stars or 0, profile.rating_score if profile.rating_score is not None else -1,
                             profile.verification_status == "verified", -user.id, user.id))
            db.session.commit()
        return [row[-1] for row in sorted(made, reverse=True)]

    return make


def test_the_directory_by_cursor_reads_every_provider_once_best_first(api, providers):
    order = providers(13)
    seen, pages = _walk(api, "per_page=4", collection="providers")
    assert seen == order and pages == 4
    by_number = [p["id"] for n in (1, 2, 3, 4) for p in api().get(f"/providers?per_page=4&page={n}").json["items"]]
    assert by_number == seen  # the same order either way


def test_a_new_provider_does_not_shift_the_directory_after_a_cursor(api, providers):
    order = providers(10)
    first = api().get("/providers?per_page=5").json
    assert [p["id"] for p in first["items"]] == order[:5]
    providers(5)  # joined while the reader is on page one, some ranked before it
    rest, _ = _walk(api, "per_page=5", first["next_cursor"], collection="providers")
    # every provider after the cursor exactly once, none of page one again, none skipped
    assert [pid for pid in rest if pid in order] == order[5:]
    assert not set(rest) & {p["id"] for p in first["items"]}


def test_the_directory_cursor_keeps_its_filters_and_refuses_searches(api, providers):
    providers(10)
    everyone = [p["id"] for p in api().get("/providers?per_page=100&min_stars=5").json["items"]]
    seen, _ = _walk(api, "per_page=2&min_stars=5", collection="providers")
    assert seen == everyone and len(seen) == 6
    cursor = api().get("/providers?per_page=1").json["next_cursor"]
    searched = api().get("/providers?q=Provider&per_page=1").json
    assert searched["next_cursor"] is None
    assert api().get(f"/providers?q=Provider&cursor={cursor}").status_code == 422
    assert api().get("/providers?cursor=W10").status_code == 422
