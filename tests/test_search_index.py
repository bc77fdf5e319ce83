"""The search index itself (services/search_index.py): segmentation, safe highlighting, and the index objects
the migration makes on each backend (which the models do not declare, so test_migrations cannot see them)."""
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from extensions import db
from models import Tender
from models.search import SEARCHABLE_TABLES
from models.types import utcnow
from services import search_index, tenders
from services.tenders import TenderFilters
from tests.support.backends import IS_POSTGRES


def test_chinese_is_cut_into_words_and_their_parts_latin_is_lower_cased():
    assert set(search_index.segment("客服外包").split()) == {"客服", "外包", "客服外包"}
    assert set(search_index.segment("产品摄影师").split()) >= {"产品", "摄影", "摄影师"}
    assert search_index.segment("Customer-Service, 4K!") == "customer service 4k"
    assert search_index.segment("用Photoshop修图").split() == ["用", "photoshop", "修图"]
    assert search_index.segment("客服外包") == search_index.segment("客服外包")  # deterministic
    assert search_index.query_terms("  ") == [] and search_index.query_terms("客服 客服") == ["客服"]
    assert len(search_index.query_terms(" ".join(f"w{n}" for n in range(30)))) == search_index.MAX_QUERY_TERMS


def test_highlighting_escapes_the_text_before_marking_it(app):
    with app.app_context():
        marked = search_index.highlight('<script>alert("客服")</script> 客服外包 & Customer care', "客服 customer")
        assert str(marked) == ('&lt;script&gt;alert(&#34;<mark>客服</mark>&#34;)&lt;/script&gt; <mark>客服</mark>外包 '
                               '&amp; <mark>Customer</mark> care')
        # a word is marked only where it starts a word, and a query cannot inject markup either
        assert str(search_index.highlight("customers", "<b>")) == "customers"
        assert str(search_index.highlight("a <b> tag", "b")) == "a &lt;<mark>b</mark>&gt; tag"
        assert str(search_index.highlight("subcustomer", "customer")) == "subcustomer"
        long = "前言" * 60 + "这里需要客服外包" + "后记" * 60
        cut = str(search_index.snippet(long, "客服"))
        assert cut.startswith("…") and cut.endswith("…") and "<mark>客服</mark>" in cut and len(cut) < 120


def test_a_tender_title_with_markup_is_shown_escaped_in_the_hall(app, make_user, client):
    brand = make_user("brand")
    with app.app_context():
        db.session.add(Tender(brand_id=brand.id, title='<img src=x onerror=alert(1)>客服外包', category="design",
                              description="<b>客服</b>团队", budget_min=1, budget_max=2, currency="CNY",
                              bid_deadline=utcnow() + timedelta(days=3), rounds=["proposal"], stored_status="open"))
        db.session.commit()
    page = client.get("/tenders", query_string={"q": "客服"}).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;<mark>客服</mark>外包" in page
    assert "&lt;b&gt;<mark>客服</mark>&lt;/b&gt;团队" in page
    assert "<img src=x" not in page and "<b>客服" not in page


def test_over_long_search_words_are_a_field_error_not_a_failure(client):
    long = "客" * 201
    assert client.get("/api/v1/tenders", query_string={"q": long}).status_code == 422
    assert client.get("/api/v1/providers", query_string={"q": long}).status_code == 422
    for path in ("/tenders", "/providers", "/contests"):
        assert client.get(path, query_string={"q": long}).status_code == 200


def test_the_index_the_migration_made_is_there(app):
    with app.app_context():
        if IS_POSTGRES:
            names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%_search'")))
            assert names == {f"ix_{t}_search" for t in SEARCHABLE_TABLES}
        else:
            # A later migration that recreates one of these tables (batch mode on SQLite) drops its triggers:
            # this fails then, and the migration must create them again.
            names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert {f"{t}_fts_{what}" for t in SEARCHABLE_TABLES for what in ("insert", "update", "delete")} <= names


@pytest.mark.skipif(not IS_POSTGRES, reason="the GIN index is PostgreSQL's (SQLite's FTS5 is always an index)")
def test_postgres_answers_a_search_from_the_gin_index(app, make_user):
    """The query repeats the indexed expression exactly, so the planner can use the index (shown with
    plain scans off: on a few rows it would rightly prefer to scan)."""
    brand = make_user("brand")
    with app.app_context():
        db.session.add(Tender(brand_id=brand.id, title="客服外包", category="design", description="团队",
                              budget_min=1, budget_max=2, currency="CNY", bid_deadline=utcnow() + timedelta(days=3),
                              rounds=["proposal"], stored_status="open"))
        db.session.commit()
        statements = []

        def remember(_conn, _cursor, statement, parameters, *_):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert tenders.search_tenders(TenderFilters(q="客服"), 1, 20).total == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        statement, parameters = [s for s in statements if "plainto_tsquery" in s[0]][-1]  # the page's query
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # and no walk along another index either
        db.session.execute(text("SET LOCAL enable_indexscan = off"))
        plan = "\n".join(db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
        db.session.rollback()
        assert "ix_tenders_search" in plan, plan


def test_category_names_are_not_taken_without_an_app_context(app):
    """Outside a context nothing is translated: the English-only text would be cached for the process and every
    provider document written after it unfindable by the category's Chinese name (a seed did that once)."""
    with pytest.raises(RuntimeError):
        search_index.category_text("photography")
    with app.app_context():
        assert "摄影" in search_index.category_text("photography")
