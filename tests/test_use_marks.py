"""A token's (or a login's) last use is written after the request, on the connection the request gave
back (services.use_marks). Written while the request held its own connection, each mark took a second
one: on a threaded server, as many concurrent first uses as the pool has connections all waited for a
connection none of them would give back, and every one answered 500 after the pool's timeout."""
import urllib.error
import urllib.request

from sqlalchemy import select

from extensions import db
from models import ApiToken
from services import accounts
from tests.support.backends import make_app
from tests.support.browser import LiveServer
from tests.test_concurrency import race

POOL = 3


def _get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own test server)
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_concurrent_first_uses_of_tokens_fill_the_pool_and_all_succeed(app, make_user):
    users = [make_user("provider") for _ in range(2 * POOL)]
    with app.app_context():
        raws = [accounts.issue_token(db.session.merge(user))[0] for user in users]
        db.session.commit()
    small = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": POOL, "max_overflow": 0, "pool_timeout": 3})
    with LiveServer(small) as server:
        codes = race(len(raws), lambda i: _get(f"{server.url}/api/v1/me", raws[i]))
    with small.app_context():
        db.engine.dispose()
    assert codes == [200] * len(raws)
    with app.app_context():  # and every first use is on record
        used = db.session.scalars(select(ApiToken.last_used_at).where(ApiToken.user_id.in_([u.id for u in users])))
        assert all(t is not None for t in used)
