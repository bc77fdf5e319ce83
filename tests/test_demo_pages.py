"""Every page renders for every role on the demo data (catches template errors real data exposes)."""
import re

import pytest
from sqlalchemy import select

from demo.seed import DEMO_PASSWORD
from extensions import db
from models import ProviderProfile, User
from tests.support.demo_data import LOGINS, pages_for
from tests.support.web import finish_login, form_post

# Every test here only reads (pages, after a login): the demo is loaded once per module, not per test.
pytestmark = pytest.mark.shared_data


@pytest.mark.parametrize("role", list(LOGINS))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_page_renders(client, demo, role, language):
    finish_login(client, form_post(client, "/login", {"email": LOGINS[role], "password": DEMO_PASSWORD}), LOGINS[role])
    me = demo["users"][LOGINS[role]]
    for path in pages_for(role, demo):
        r = client.get(path, headers={"Accept-Language": language})
        tender = re.fullmatch(r"/tenders/(\d+)/evaluate", path)
        expected = 403 if tender and demo["tender_brands"][int(tender.group(1))] != me else 200  # others' boards
        assert r.status_code == expected, (path, r.status_code)
        if r.status_code == 200:
            assert "Traceback" not in r.get_data(as_text=True)
    if role in ("brand", "provider", "admin"):
        assert client.get(f"/contracts/{demo['contract']}").status_code == 200
        assert client.get(f"/disputes/{demo['dispute']}").status_code == 200
    html = client.get("/notifications").get_data(as_text=True)
    assert not re.search(r">\s*[a-z_]+\s*</button>", html)  # every notification kind has a text


def test_the_demo_has_a_rated_provider_who_can_see_why(app, client, demo):
    """Three completed, reviewed contracts: the directory lists Kuaipai among rated providers, and its
    page shows the stars with the breakdown behind them."""
    with app.app_context():
        kuaipai = db.session.scalar(select(User).where(User.email == "kuaipai@witkey.demo"))
        stars = db.session.get(ProviderProfile, kuaipai.id).stars
    assert stars == 6
    listing = client.get("/providers?min_stars=3", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'data-testid="stars-{kuaipai.id}"' in listing
    page = client.get(f"/providers/{kuaipai.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{stars} stars" in page and 'data-testid="breakdown"' in page
    assert "Gold partner" in page and "Gold partner" in listing  # the only rated video provider
