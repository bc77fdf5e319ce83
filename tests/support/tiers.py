"""The two tiers of the suite, as markers.

The fast domain tier (`make test-fast`) is every test without one of these markers: services and HTTP
contracts through Flask's test client, on one process's database. The real-parts tier is what is left:

- `browser`  drives Debian's Chromium through Playwright;
- `stripe`   talks to localstripe and tests/support/fake_stripe_connect.py, processes of their own;
- `worker`   runs a real RQ worker process (`flask worker --burst`);
- `live`     serves the app over real HTTP on threads (races between connections);
- `postgres` needs PostgreSQL (row locks, concurrent writers; or, with its own reason, servers of its
  own beside the suite's, as tests/test_scale_out.py): skipped on SQLite, with that reason.

`browser`, `stripe` and `live` follow from the fixtures a test uses, so nobody has to remember them;
`worker` and `postgres` are written on the tests.
"""
import pytest

from tests.support.backends import IS_POSTGRES

BY_FIXTURE = {
    "browser": "browser",
    "stripe_server": "stripe",
    "live_server": "live",
}


REAL_PARTS = ("browser", "stripe", "worker", "live", "postgres")


def pytest_collection_modifyitems(items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in BY_FIXTURE.items():
            if fixture in used:
                item.add_marker(getattr(pytest.mark, marker))
        if not IS_POSTGRES and (postgres := item.get_closest_marker("postgres")):
            # a test says why it needs PostgreSQL with postgres(reason=...); the usual reason is a race
            item.add_marker(pytest.mark.skip(reason=postgres.kwargs.get(
                "reason", "SQLite has one writer at a time: there is nothing to race")))
    # The real-parts tier first (a stable sort: each module's own order is kept): its tests are the
    # longest, so under xdist they start while the short ones can still fill the other workers, instead
    # of one long test running alone at the end.
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in REAL_PARTS))
