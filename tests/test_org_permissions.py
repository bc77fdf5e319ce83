"""The permission matrix (issue 15): every role of both kinds, against its own organisation and another's,
over the API and the web pages — each cell asserts the exact answer, so an unexpected allow and an
unexpected denial both fail. The organisations, contracts and milestones are built once per module;
each cell that changes something acts on an object of its own (its own tender, bid or milestone)."""
import pytest

from extensions import db
from models import Milestone, Tender, User
from models.organisation import ROLES
from services import accounts, funding
from tests.support.backends import empty_database
from tests.support.factories import bid_payload, in_days, tender_payload
from tests.support.orgs import team
from tests.support.web import PASSWORD, csrf_token, signed_in

pytestmark = pytest.mark.shared_data

BRAND_ROLES = ("owner", "procurement", "evaluator", "finance", "viewer")
PROVIDER_ROLES = ("owner", "bid_manager", "delivery", "finance", "viewer")
# Who may, written out here (not read from services.permissions, which is what is under test).
BRAND_ALLOWED = {
    "tender.post": {"owner", "procurement"},
    "tender.close": {"owner", "procurement"},
    "milestone.fund": {"owner", "finance"},
    "milestone.accept": {"owner", "finance"},
    "contract.read": set(BRAND_ROLES),
    "org.invite": {"owner"},
    # evaluation (scorecards): an evaluator acts only on tenders whose panel it sits on, and these are none
    "tender.panel": {"owner", "procurement"},
    "tender.board": {"owner", "procurement"},
    "tender.openings": {"owner", "procurement"},
    "grading.close": {"owner", "procurement"},
    # two envelopes and best-and-final offers: those who run the tender, nobody else
    "envelopes.technical": {"owner", "procurement"},
    "bid.technical": {"owner", "procurement"},
    "envelopes.price": {"owner", "procurement"},
    "tender.bafo": {"owner", "procurement"},
}
PROVIDER_ALLOWED = {
    "bid.submit": {"owner", "bid_manager"},
    "bid.withdraw": {"owner", "bid_manager"},
    "milestone.deliver": {"owner", "delivery"},
    "contract.read": set(PROVIDER_ROLES),
    "payouts.read": {"owner", "finance", "viewer"},
    "org.invite": {"owner"},
    "bid.final_offer": {"owner", "bid_manager"},
}
# Actions on an object of the organisation, which another organisation's owner is refused: the code it
# gets (a public tender's existence is no secret, so closing another brand's is 403, as before).
OTHER = {"tender.close": 403, "milestone.fund": 404, "milestone.accept": 404, "contract.read": 404,
         "bid.withdraw": 404, "milestone.deliver": 404,
         "tender.panel": 404, "tender.board": 404, "tender.openings": 404, "grading.close": 404,
         "envelopes.technical": 403, "bid.technical": 404, "envelopes.price": 403, "tender.bafo": 403,
         "bid.final_offer": 404}
SUCCESS = {"tender.post": 201, "org.invite": 201, "bid.submit": 201, "tender.bafo": 201}
SLOTS = len(BRAND_ROLES) + 1  # one object per actor: each role of the organisation, and the other's owner


def _cells(kind, roles, allowed):
    for action in allowed:
        for role in roles:
            yield pytest.param(kind, action, role, "own", id=f"{kind}-{action}-{role}")
        if action in OTHER:
            yield pytest.param(kind, action, "owner", "other", id=f"{kind}-{action}-other-org")


def _ok(r, code):
    assert r.status_code == code, (r.status_code, r.get_json(silent=True))


@pytest.fixture(scope="module")
def world(app):
    empty_database(app)
    client = app.test_client()
    brand, other_brand = team(app, client, "brand", BRAND_ROLES), team(app, client, "brand", ["owner"])
    provider, other_provider = team(app, client, "provider", PROVIDER_ROLES), team(app, client, "provider", ["owner"])
    owner, seller = brand["owner"][1], provider["owner"][1]
    with app.app_context():
        staff = accounts.create_admin(email="staff-matrix@example.com", password=PASSWORD)
        funding.record_deposit(staff, db.session.get(User, brand["owner"][0]), 10**10, "CNY", "MATRIX-1")
        db.session.commit()

    def contract():
        tender = owner.post("/tenders", json=tender_payload()).json["id"]
        plan = [{"title": f"Part {i}", "amount": 20000_00, "due_days": 10 + i} for i in range(20)]
        bid = seller.post(f"/tenders/{tender}/bids", json=bid_payload(400000_00, milestones=plan)).json["id"]
        _ok(owner.post(f"/tenders/{tender}/close"), 200)
        contract_id = owner.post(f"/tenders/{tender}/award", json={"bid_id": bid}).json["contract_id"]
        return contract_id, [m["id"] for m in owner.get(f"/contracts/{contract_id}").json["milestones"]]

    def scored_tender():
        """A tender with a proposal scorecard, one bid, bidding closed: its grading can be closed once."""
        criteria = {"proposal": [{"name": "staffing plan", "weight": 60}, {"name": "training", "weight": 40}]}
        tender = owner.post("/tenders", json=tender_payload(rounds=["proposal"], criteria=criteria)).json["id"]
        seller.post(f"/tenders/{tender}/bids", json=bid_payload())
        _ok(owner.post(f"/tenders/{tender}/close"), 200)
        return tender

    def two_envelope(stage: int):
        """A two-envelope tender with one bid, closed, taken `stage` steps on: 1 technical envelopes open,
        2 the bid passed, 3 prices open, 4 the bid asked for a final offer."""
        tender = owner.post("/tenders", json=tender_payload(two_envelope=True)).json["id"]
        bid = seller.post(f"/tenders/{tender}/bids", json=bid_payload()).json["id"]
        _ok(owner.post(f"/tenders/{tender}/close"), 200)
        steps = [lambda: owner.post(f"/tenders/{tender}/envelopes/technical/open"),
                 lambda: owner.post(f"/bids/{bid}/technical", json={"passed": True}),
                 lambda: owner.post(f"/tenders/{tender}/envelopes/price/open"),
                 lambda: owner.post(f"/tenders/{tender}/bafo", json={"bid_ids": [bid], "closes_at": in_days(3)})]
        for step in steps[:stage]:
            assert step().status_code in (200, 201)
        return tender, bid

    (c1, m1), (c2, m2) = contract(), contract()
    pools = iter(m1 + m2)
    take = lambda n: [next(pools) for _ in range(n)]  # noqa: E731
    fund_api, fund_web, deliver_api, deliver_web, accept_api = (take(SLOTS) for _ in range(5))
    for m in deliver_api + deliver_web + accept_api:
        _ok(owner.post(f"/milestones/{m}/fund"), 200)
    for m in accept_api:
        _ok(seller.post(f"/milestones/{m}/deliver", json={"note": "done"}), 200)
    outsider = other_brand["owner"][1]
    open_tenders = [outsider.post("/tenders", json=tender_payload()).json["id"] for _ in range(2 * SLOTS)]
    bids = [seller.post(f"/tenders/{t}/bids", json=bid_payload()).json["id"] for t in open_tenders[:SLOTS]]
    return {
        "client": client, "app": app,
        "brand": brand, "other_brand": other_brand, "provider": provider, "other_provider": other_provider,
        "contract": c1, "contract_of": {**dict.fromkeys(m1, c1), **dict.fromkeys(m2, c2)},
        "fund_api": fund_api, "fund_web": fund_web, "deliver_api": deliver_api,
        "accept_api": accept_api, "deliver_web": deliver_web,
        "close_api": [owner.post("/tenders", json=tender_payload()).json["id"] for _ in range(SLOTS)],
        "close_web": [owner.post("/tenders", json=tender_payload()).json["id"] for _ in range(SLOTS)],
        "bid_tenders": open_tenders[SLOTS:], "bids": bids,
        "scored": [scored_tender() for _ in range(SLOTS)],
        "envelopes": {stage: [two_envelope(stage) for _ in range(SLOTS)] for stage in range(5)},
        "envelopes_web": [two_envelope(0) for _ in range(SLOTS)],
    }


def _actor(world, kind, role, side):
    """(slot, user id, Api) of the acting member: a role of the organisation, or the other's owner."""
    roles = BRAND_ROLES if kind == "brand" else PROVIDER_ROLES
    if side == "other":
        user_id, caller = world[f"other_{kind}"]["owner"]
        return len(roles), user_id, caller
    user_id, caller = world[kind][role]
    return roles.index(role), user_id, caller


EVALUATION_CALLS = {  # (caller, "/tenders/<its scorecard tender>") → response
    "tender.panel": lambda caller, tender: caller.post(f"{tender}/panel", json={"user_ids": []}),
    "tender.board": lambda caller, tender: caller.get(f"{tender}/board"),
    "tender.openings": lambda caller, tender: caller.get(f"{tender}/openings"),
    "grading.close": lambda caller, tender: caller.post(f"{tender}/grading/close", json={"round": "proposal"}),
}


ENVELOPE_CALLS = {  # action → (the stage its tender is at, (caller, tender id, bid id) → response)
    "envelopes.technical": (0, lambda caller, t, b: caller.post(f"/tenders/{t}/envelopes/technical/open")),
    "bid.technical": (1, lambda caller, t, b: caller.post(f"/bids/{b}/technical", json={"passed": True})),
    "envelopes.price": (2, lambda caller, t, b: caller.post(f"/tenders/{t}/envelopes/price/open")),
    "tender.bafo": (3, lambda caller, t, b: caller.post(f"/tenders/{t}/bafo",
                                                         json={"bid_ids": [b], "closes_at": in_days(2)})),
    "bid.final_offer": (4, lambda caller, t, b: caller.post(f"/bids/{b}/final-offer", json=bid_payload(400000_00))),
}


def _api_call(world, action, slot, caller):
    if action == "tender.post":
        return caller.post("/tenders", json=tender_payload())
    if action == "tender.close":
        return caller.post(f"/tenders/{world['close_api'][slot]}/close")
    if action == "milestone.fund":
        return caller.post(f"/milestones/{world['fund_api'][slot]}/fund")
    if action == "milestone.accept":
        return caller.post(f"/milestones/{world['accept_api'][slot]}/accept")
    if action == "contract.read":
        return caller.get(f"/contracts/{world['contract']}")
    if action == "org.invite":
        return caller.post("/org/members", json={"email": f"invitee-{slot}-{id(caller)}@example.com", "role": "viewer"})
    if action == "bid.submit":
        return caller.post(f"/tenders/{world['bid_tenders'][slot]}/bids", json=bid_payload())
    if action == "bid.withdraw":
        return caller.post(f"/bids/{world['bids'][slot]}/withdraw")
    if action == "milestone.deliver":
        return caller.post(f"/milestones/{world['deliver_api'][slot]}/deliver", json={"note": "done"})
    if action == "payouts.read":
        return caller.get("/payouts")
    if action in ENVELOPE_CALLS:
        stage, call = ENVELOPE_CALLS[action]
        return call(caller, *world["envelopes"][stage][slot])
    if action in EVALUATION_CALLS:
        return EVALUATION_CALLS[action](caller, f"/tenders/{world['scored'][slot]}")
    raise AssertionError(action)


@pytest.mark.parametrize(("kind", "action", "role", "side"),
                         [*_cells("brand", BRAND_ROLES, BRAND_ALLOWED),
                          *_cells("provider", PROVIDER_ROLES, PROVIDER_ALLOWED)])
def test_api_matrix(world, kind, action, role, side):
    slot, _user_id, caller = _actor(world, kind, role, side)
    allowed = (BRAND_ALLOWED if kind == "brand" else PROVIDER_ALLOWED)[action]
    if side == "other":
        expected = OTHER[action]
    else:
        expected = SUCCESS.get(action, 200) if role in allowed else 403
    _ok(_api_call(world, action, slot, caller), expected)


# --- the web pages: the same rule, and only the buttons the role may use ---------------------------------

WEB_BRAND = {"milestone.fund": {"owner", "finance"}, "tender.close": {"owner", "procurement"}}


@pytest.mark.parametrize(("role", "side"), [*((r, "own") for r in BRAND_ROLES), ("owner", "other")])
def test_web_matrix_brand(world, role, side):
    slot, user_id, _caller = _actor(world, "brand", role, side)
    browser = signed_in(world["app"], user_id)
    assert browser.get("/org").status_code == 200
    milestone = world["fund_web"][slot]
    contract_page = browser.get(f"/contracts/{world['contract_of'][milestone]}")
    if side == "other":
        assert contract_page.status_code == 404
    else:
        shows_fund = f"/contracts/milestones/{milestone}/fund" in contract_page.get_data(as_text=True)
        assert shows_fund == (role in WEB_BRAND["milestone.fund"])
        org_page = browser.get("/org").get_data(as_text=True)
        assert ("/org/invitations" in org_page) == (role == "owner")
        assert ('href="/wallet"' in org_page) == (role in {"owner", "finance", "viewer"})  # the menu
        assert browser.get("/wallet").status_code == (200 if role in {"owner", "finance", "viewer"} else 403)
    token = csrf_token(browser, "/org")
    funded = browser.post(f"/contracts/milestones/{milestone}/fund", data={"csrf_token": token})
    closed = browser.post(f"/tenders/{world['close_web'][slot]}/close", data={"csrf_token": token})
    with world["app"].app_context():
        status = db.session.get(Milestone, milestone).status
        tender_status = db.session.get(Tender, world["close_web"][slot]).status
    if side == "other":
        assert (funded.status_code, closed.status_code) == (404, 403)
    else:
        assert funded.status_code == (302 if role in WEB_BRAND["milestone.fund"] else 403)
        assert closed.status_code == (302 if role in WEB_BRAND["tender.close"] else 403)
    assert (status == "funded") == (side == "own" and role in WEB_BRAND["milestone.fund"])
    assert (tender_status == "evaluating") == (side == "own" and role in WEB_BRAND["tender.close"])


WEB_PROVIDER = {"milestone.deliver": {"owner", "delivery"}, "payouts.read": {"owner", "finance", "viewer"}}


@pytest.mark.parametrize(("role", "side"), [*((r, "own") for r in PROVIDER_ROLES), ("owner", "other")])
def test_web_matrix_provider(world, role, side):
    slot, user_id, _caller = _actor(world, "provider", role, side)
    browser = signed_in(world["app"], user_id)
    assert browser.get("/org").status_code == 200
    milestone = world["deliver_web"][slot]
    contract_page = browser.get(f"/contracts/{world['contract_of'][milestone]}")
    if side == "other":
        assert contract_page.status_code == 404
    else:
        shows_deliver = f"/contracts/milestones/{milestone}/deliver" in contract_page.get_data(as_text=True)
        assert shows_deliver == (role in WEB_PROVIDER["milestone.deliver"])
        assert browser.get("/payouts").status_code == (200 if role in WEB_PROVIDER["payouts.read"] else 403)
    token = csrf_token(browser, "/org")
    delivered = browser.post(f"/contracts/milestones/{milestone}/deliver", data={"csrf_token": token, "note": "done"})
    with world["app"].app_context():
        status = db.session.get(Milestone, milestone).status
    if side == "other":
        assert delivered.status_code == 404
    else:
        assert delivered.status_code == (302 if role in WEB_PROVIDER["milestone.deliver"] else 403)
    assert (status == "delivered") == (side == "own" and role in WEB_PROVIDER["milestone.deliver"])


def test_every_role_is_in_the_matrix():
    assert set(BRAND_ROLES) == set(ROLES["brand"]) and set(PROVIDER_ROLES) == set(ROLES["provider"])


@pytest.mark.parametrize(("role", "side"), [*((r, "own") for r in BRAND_ROLES), ("owner", "other")])
def test_web_matrix_envelopes(world, role, side):
    """The board's envelope button shows only to those who run the tender, and the form obeys the same rule."""
    slot, user_id, _caller = _actor(world, "brand", role, side)
    tender, _bid = world["envelopes_web"][slot]
    browser = signed_in(world["app"], user_id)
    board = browser.get(f"/tenders/{tender}/evaluate")
    may = side == "own" and role in BRAND_ALLOWED["envelopes.technical"]
    if may:
        assert 'data-testid="open-technical"' in board.get_data(as_text=True)
    else:
        assert board.status_code in (403, 404) or 'data-testid="open-technical"' not in board.get_data(as_text=True)
    opened = browser.post(f"/tenders/{tender}/envelopes/technical", data={"csrf_token": csrf_token(browser, "/org")})
    assert opened.status_code == (302 if may else 403)
    with world["app"].app_context():
        assert db.session.get(Tender, tender).envelopes.technical_open == may
