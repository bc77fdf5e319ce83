"""Odd input is refused with a clear 4xx, never a server error: numbers past any column, NUL characters,
links no URL parser reads, nesting too deep to parse, unknown job ids, stray words in query strings."""

import pytest

from extensions import db
from models import ProviderProfile
from services.storage import _display_name
from tests.support.factories import tender_payload


@pytest.mark.parametrize("path", ["/tenders/99999999999999999999", "/tenders?page=99999999999999999999",
                                  "/tenders?budget_min=99999999999999999999", "/providers/99999999999999999999"])
def test_huge_numbers_are_bad_input_not_a_crash(api, path):
    r = api().get(path)
    assert r.status_code == 422, (path, r.status_code)


def test_web_pages_with_huge_numbers(client):
    # the search form bounds its page and budgets: an empty list with the form's error, not a query
    assert client.get("/tenders?page=99999999999999999999").status_code == 200
    assert client.get("/tenders?budget_min=99999999999999999999").status_code == 200
    assert client.get("/tenders/99999999999999999999").status_code == 400


def test_odd_input_is_refused_without_a_server_error(api, deal, make_user):
    """Inputs that once raised inside the app: a link no URL parser can read, a job id rq could never
    have made, a KPI target that rounds up past the limit, a file name of control characters."""
    d = deal()
    mid = d.milestone_ids[0]
    d.deposit(150000_00)
    d.fund(0)
    r = d.provider.post(f"/milestones/{mid}/deliver", json={"note": "x", "links": ["http://[::1"]})
    assert r.status_code == 422 and "links" in r.json["error"]["fields"]
    assert api(make_user("brand")).get("/jobs/a.b").status_code == 404
    brand = api(make_user("brand"))
    r = brand.post("/tenders", json=tender_payload(kpis=[{"name": "x", "target": "9999999999.99995", "unit": "s"}]))
    assert r.status_code == 422
    assert _display_name("\x01\x02") == "file" and _display_name("a/\x01b.pdf") == "b.pdf"


def test_text_with_a_nul_character_is_refused_the_same_on_every_database(api, make_user, client):
    """PostgreSQL text cannot hold U+0000: a JSON body, a query string or a form carrying it gets a clear
    400 that names the problem (not a database error dressed as a number out of range)."""
    brand = api(make_user("brand"))
    r = brand.post("/tenders", json=tender_payload(title="Chat\x00team"))
    assert r.status_code == 400 and "NUL" in r.json["error"]["message"]
    assert brand.get("/tenders?q=a\x00b").status_code == 400
    assert client.get("/tenders?q=a%00b").status_code == 400
    assert brand.get("/tenders", query_string={"q": "chat"}).status_code == 200
    nested = brand.post("/tenders", json=tender_payload(kpis=[{"name": "x\x00", "target": "1", "unit": "s"}]))
    assert nested.status_code == 400
    # an escaped backslash before "u0000" is six characters of text, not a NUL
    escaped = brand.post("/tenders", json=tender_payload(title="Path C:\\u0000 team"))
    assert escaped.status_code == 201 and escaped.json["title"] == "Path C:\\u0000 team"
    deep = brand.post("/tenders", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code == 400
    wrong = brand.get("/tenders?page=abc")
    assert wrong.status_code == 400 and wrong.json["error"]["fields"]["page"] and "wrong type" in \
        brand.get("/tenders?page=abc", headers={"Accept-Language": "en"}).json["error"]["message"]


def test_stray_query_words_on_paged_lists_are_ignored(client, login, make_user, app):
    """`endpoint`, `_external` or `_method` in a query string are not filters: page links and the
    redirect past the last page carry only the list's own filters (url_for once took them as its own)."""
    users = [make_user("provider") for _ in range(25)]  # two directory pages
    with app.app_context():
        for user in users:
            db.session.get(ProviderProfile, user.id).verification_status = "verified"
        db.session.commit()
    for query, status in (("endpoint=x", 200), ("_external=1", 200), ("_method=POST", 200),
                          ("page=9&endpoint=x&verified=y", 302)):  # page 9 is past the last: back to page 1
        response = client.get(f"/providers?{query}")
        assert response.status_code == status, query
        assert "endpoint" not in response.headers.get("Location", "")
    for odd in ("0", "x"):  # an unreadable page number starts over at the first page, filters kept
        response = client.get(f"/providers?page={odd}&verified=y")
        assert response.status_code == 302 and response.headers["Location"].endswith("/providers?verified=y")
    assert client.get("/tenders?endpoint=x&_anchor=y").status_code == 200
    login(make_user("admin"))
    assert client.get("/disputes/queue?endpoint=x&status=open").status_code == 200
