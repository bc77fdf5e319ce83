"""Issue 15's done-when, in a browser: the seed tender run as a team. The procurement member posts a
two-envelope tender with a scorecard; two evaluators declare no conflicts and grade blind; the owner
settles the consensus; the technical envelopes pass two bids; the price envelopes open; a best-and-final
round lowers one price; the owner awards; the finance member funds the first milestone — of the final
offer's plan."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from extensions import db
from models import BafoRound, Contract, Tender, User
from models.types import utcnow
from services import accounts, funding, ledger
from tests.support.factories import bid_payload
from tests.support.orgs import join, new_account, team, token_for
from tests.support.web import PASSWORD

FIRST, FINAL = 450000_00, 420000_00
CRITERIA = "proposal | staffing plan | 30\nproposal | training | 20\nproposal | KPI commitments | 30\n" \
           "proposal | references | 20"


def _login(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/")


def _flash(page) -> str:
    return " ".join(page.locator(".flash").all_text_contents())


def _local(hours: float) -> str:
    """A datetime-local value `hours` from now in the browser's (and the users') zone."""
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_the_seed_tender_as_a_team(app, client, new_page):
    org = team(app, client, "brand", ("procurement", "finance"))
    evaluators = [join(app, client, org["owner"][1], "brand", "evaluator") for _ in range(2)]
    with app.app_context():
        brand_users = [org["owner"][0], org["procurement"][0], org["finance"][0], *(e[0] for e in evaluators)]
        db.session.execute(update(User).where(User.id.in_(brand_users))
                           .values(locale="en", timezone="Asia/Shanghai"))
        staff = accounts.create_admin(email="staff-team@example.com", password=PASSWORD)
        funding.record_deposit(staff, db.session.get(User, org["owner"][0]), 10**9, "CNY", "TEAM-1")
        db.session.commit()
        emails = {uid: db.session.get(User, uid).email for uid in brand_users}

    # procurement posts the tender from the form
    proc = new_page()
    _login(proc, emails[org["procurement"][0]])
    proc.goto("/tenders/new")
    proc.fill("#title", "Semir flagship store: customer service outsourcing")
    proc.select_option("#category", "customer_service")
    proc.fill("#description", "Pre-sale and after-sale chat for the Tmall flagship store, 09:00 to 24:00.")
    proc.fill("#budget_min", "300000")
    proc.fill("#budget_max", "600000")
    proc.fill("#bid_deadline", _local(24 * 7))
    proc.fill("#criteria", CRITERIA)
    proc.check("#blind_grading")
    proc.check("#two_envelope")
    proc.click("main form button[type=submit]")
    proc.wait_for_url(re.compile(r".*/tenders/\d+$"))
    tender_id = int(re.search(r"/tenders/(\d+)$", proc.url).group(1))
    with app.app_context():
        tender = db.session.get(Tender, tender_id)
        assert tender.two_envelope and tender.blind_grading and len(tender.criteria) == 4

    # two providers bid (through the API, as their own tools do)
    bids, providers = [], []
    for name, price in (("Shanghai Service Co", FIRST), ("Hangzhou Chat Ltd", 470000_00)):
        _, email = new_account(app, "provider", name=name)
        bids.append(token_for(client, email).post(f"/tenders/{tender_id}/bids", json=bid_payload(price)).json["id"])
        providers.append(email)

    # procurement names the panel, closes bidding and opens the technical envelopes
    proc.goto(f"/tenders/{tender_id}/scorecard")
    for ev_id, _ in evaluators:
        proc.check(f"[data-testid=panel] input[value='{ev_id}']")
    proc.click("[data-testid=panel] button[type=submit]")
    proc.wait_for_url(f"**/tenders/{tender_id}/scorecard")
    proc.goto(f"/tenders/{tender_id}")
    proc.click("text=Close bidding now")
    proc.wait_for_url(f"**/tenders/{tender_id}")
    proc.goto(f"/tenders/{tender_id}/evaluate")
    assert proc.locator("[data-testid=sealed-notice]").count() == 1
    proc.click("[data-testid=open-technical]")
    proc.wait_for_url(f"**/tenders/{tender_id}/evaluate")
    assert proc.locator("[data-testid=technical-opened]").count() == 1
    assert proc.locator("[data-testid=price-sealed]").count() == 2  # proposals open, prices not

    # two evaluators declare no conflict and grade blind
    with app.app_context():
        ids = {c.name: c.id for c in db.session.get(Tender, tender_id).criteria}
    marks = ({"staffing plan": 8, "training": 7, "KPI commitments": 9, "references": 8},
             {"staffing plan": 6, "training": 6, "KPI commitments": 7, "references": 6})
    for ev_id, _ in evaluators:
        ev = new_page()
        _login(ev, emails[ev_id])
        ev.goto(f"/tenders/{tender_id}/scorecard")
        ev.click("[data-testid=declaration] button[type=submit]")
        ev.wait_for_url(f"**/tenders/{tender_id}/scorecard")
        html = ev.content()
        assert "Shanghai Service Co" not in html and "Hangzhou Chat Ltd" not in html  # blind
        for bid_id, given in zip(bids, marks, strict=True):
            card = ev.locator(f"[data-testid=grade-bid-{bid_id}]")
            for name, mark in given.items():
                card.locator(f"input[name=c{ids[name]}]").fill(str(mark))
            card.locator("button[type=submit]").click()
            ev.wait_for_url(f"**/tenders/{tender_id}/scorecard#bid-{bid_id}")
            assert "Marks saved." in _flash(ev)

    # the owner closes grading and settles the consensus
    owner = new_page()
    _login(owner, emails[org["owner"][0]])
    owner.goto(f"/tenders/{tender_id}/scorecard")
    owner.click("[data-testid=scorecard-proposal] > form button[type=submit]")
    owner.wait_for_url(f"**/tenders/{tender_id}/scorecard")
    for bid_id, score in zip(bids, (82, 63), strict=True):
        card = owner.locator(f"[data-testid=grade-bid-{bid_id}]")
        card.locator("input[name=score]").fill(str(score))
        card.locator("input[name=reason]").fill("Settled in the panel meeting.")
        card.locator("button[type=submit]").click()
        owner.wait_for_url(f"**/tenders/{tender_id}/scorecard#bid-{bid_id}")
        assert owner.locator(f"[data-testid=consensus-{bid_id}]").text_content().startswith(f"Consensus: {score}")

    # the technical envelopes pass both bids; the price envelopes open
    owner.goto(f"/tenders/{tender_id}/evaluate")
    for bid_id in bids:
        form = owner.locator(f"[data-testid=technical-form-{bid_id}]")
        form.locator("select").select_option("pass")
        form.locator("button[type=submit]").click()
        owner.wait_for_url(f"**/tenders/{tender_id}/evaluate#bid-{bid_id}")
    owner.click("[data-testid=open-prices]")
    owner.wait_for_url(f"**/tenders/{tender_id}/evaluate")
    assert owner.locator("[data-testid=prices-opened]").count() == 1
    assert owner.locator(f"[data-testid=amount-{bids[0]}]").text_content().strip() == "¥450,000.00"

    # a best-and-final round: both reopened, Shanghai lowers its price and reshapes its plan
    for bid_id in bids:
        owner.check(f"[data-testid=bafo-bid-{bid_id}]")
    owner.fill("#closes_at", _local(3))
    owner.click("[data-testid=open-bafo]")
    owner.wait_for_url(f"**/tenders/{tender_id}/evaluate#bafo")
    assert owner.locator("[data-testid=bafo-round]").count() == 1
    seller = new_page()
    _login(seller, providers[0])
    seller.goto(f"/bids/{bids[0]}")
    seller.click("[data-testid=bafo-invitation] a")
    seller.wait_for_url(f"**/bids/{bids[0]}/final-offer")
    seller.fill("#amount", str(FINAL // 100))
    for i, amount in enumerate((140000, 140000, 140000)):
        seller.fill(f"#milestones-{i}-amount", str(amount))
    seller.click("main form button[type=submit]")
    seller.wait_for_url(f"**/bids/{bids[0]}")
    assert seller.locator("[data-testid=bid-amount]").text_content().strip() == "¥420,000.00"
    owner.goto(f"/tenders/{tender_id}/evaluate")
    assert owner.locator(f"[data-testid=final-offer-{bids[0]}] [data-testid=price-sealed]").count() == 1

    # the round's close passes; the board shows first and final offers side by side; the owner awards
    with app.app_context():
        db.session.execute(update(BafoRound).where(BafoRound.tender_id == tender_id)
                           .values(closes_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    owner.goto(f"/tenders/{tender_id}/evaluate")
    assert owner.locator(f"[data-testid=first-offer-{bids[0]}]").text_content().strip() == "¥450,000.00"
    assert owner.locator(f"[data-testid=final-offer-{bids[0]}]").text_content().strip().startswith("¥420,000.00")
    owner.locator(f"#bid-{bids[0]} + tr.actions details summary").click()
    owner.click(f"[data-testid=award-{bids[0]}]")
    owner.wait_for_url("**/contracts/*")
    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.tender_id == tender_id))
        assert contract.amount == FINAL and [m.amount for m in contract.milestones] == [140000_00] * 3
        first = contract.milestones[0]

    # the finance member funds the first milestone
    finance = new_page()
    _login(finance, emails[org["finance"][0]])
    finance.goto(f"/contracts/{contract.id}")
    finance.click(f"[data-testid=fund-{first.id}]")
    finance.wait_for_url(f"**/contracts/{contract.id}*")
    with app.app_context():
        assert ledger.balance(ledger.escrow(db.session.get(type(first), first.id))) == 140000_00
