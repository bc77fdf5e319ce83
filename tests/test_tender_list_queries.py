"""The tender list costs a fixed number of SQL queries, whatever the page size (no N+1)."""

import pytest

from extensions import db
from tests.support.factories import tender_payload
from tests.support.queries import counting_queries


@pytest.fixture
def forty_tenders(api, make_user):
    brands = [api(make_user("brand")) for _ in range(4)]
    for i in range(40):
        body = tender_payload(title=f"Tender number {i}",
                              kpis=[{"name": "k1", "target": 1, "unit": "s"}, {"name": "k2", "target": 2, "unit": "%"}])
        assert brands[i % 4].post("/tenders", json=body).status_code == 201


@pytest.mark.usefixtures("forty_tenders")
@pytest.mark.parametrize("path", ["/api/v1/tenders?per_page={n}", "/tenders?status=&page=1&per_page={n}"])
def test_tender_list_query_count_does_not_grow_with_page_size(app, client, path):
    counts = {}
    for n in (1, 10, 40):
        with app.app_context():
            engine = db.engine
        with counting_queries(engine) as statements:
            response = client.get(path.format(n=n))
            assert response.status_code == 200
        counts[n] = len(statements)
    assert counts[1] == counts[10] == counts[40], counts
    assert counts[1] <= 5, counts  # count + page (brands joined) + KPIs + scorecard criteria of the page
