"""Invoice records under concurrent requests (PostgreSQL): one release invoiced by many requests at once
is invoiced once; one invoice number sent for two releases at once is used once."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import Invoice
from tests.support.web import as_user
from tests.test_concurrency import post_json, race


@pytest.mark.postgres
def test_a_release_is_invoiced_once_and_a_number_used_once(app, live_server, deal, api):
    d = deal(amounts=(100000_00, 50000_00, 50000_00))
    d.deposit(200000_00)
    for i in range(3):
        d.release(i)
    provider = as_user(d.provider.get("/me").json["email"])
    tokens = [api(provider).token for _ in range(10)]  # one each: a token's own row must not queue them
    url = f"{live_server.url}/api/v1/milestones/{{}}/invoice"
    m0, m1, m2 = d.milestone_ids

    codes = race(10, lambda i: post_json(url.format(m0), tokens[i], {"number": f"FP-{i}", "tax_rate_bps": 600}))
    assert sorted(codes) == [201] + [409] * 9, codes

    codes = race(2, lambda i: post_json(url.format((m1, m2)[i]), tokens[i], {"number": "FP-SAME", "tax_rate_bps": 600}))
    assert sorted(codes) in ([201, 409], [201, 422]), codes  # the check, or the unique index if both passed it
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.kind == "provider")) == 2
        assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.number == "FP-SAME")) == 1
