"""Organisations: invitations, members, roles, removal, and the two-member funding rule (issue 15)."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from extensions import db
from models import FundRequest, Membership, Milestone, Notification, Organisation, OrgInvitation, User
from models.types import utcnow
from services import ledger
from tests.support.orgs import invitation_token, join, new_account, token_for
from tests.support.web import PASSWORD, finish_login, form_post, signed_in


def test_a_new_account_is_the_owner_of_its_own_organisation(api, make_user):
    owner = make_user("brand", display_name="Semir Apparel")
    me = api(owner).get("/org")
    assert me.status_code == 200
    assert me.json["name"] == "Semir Apparel" and me.json["kind"] == "brand"
    assert me.json["members"] == [{"user_id": owner.id, "email": owner.email, "display_name": "Semir Apparel",
                                   "role": "owner"}]


def test_an_invited_person_joins_with_the_role_and_acts_for_the_organisation(app, client, api, make_user):
    owner = make_user("brand")
    boss = api(owner)
    finance_id, finance = join(app, client, boss, "brand", "finance")
    members = {m["user_id"]: m["role"] for m in boss.get("/org").json["members"]}
    assert members == {owner.id: "owner", finance_id: "finance"}
    assert finance.get("/org").json["id"] == boss.get("/org").json["id"]
    with app.app_context():  # the solo organisation the registration made is gone with nothing in it
        assert db.session.scalar(select(Organisation).where(Organisation.account_user_id == finance_id)) is None
        assert db.session.get(User, finance_id).account_id == owner.id


def test_the_invitation_mail_carries_a_single_use_link(app, client, api, make_user):
    boss = api(make_user("provider"))
    assert boss.post("/org/members", json={"email": "Delivery@Example.com", "role": "delivery"}).status_code == 201
    token = invitation_token(app, "delivery@example.com")
    assert client.get(f"/invitations/{token}").status_code == 200  # the page an invitee lands on
    new_account(app, "provider", email="delivery@example.com")
    member = token_for(client, "delivery@example.com")
    assert member.post("/org/invitations/accept", json={"token": token}).status_code == 200
    again = member.post("/org/invitations/accept", json={"token": token})
    assert again.status_code == 422 and again.json["error"]["code"] == "invalid_token"
    assert client.get(f"/invitations/{token}").status_code == 410


def test_expired_revoked_and_forged_invitations_are_refused_and_change_nothing(app, client, api, make_user):
    boss = api(make_user("brand"))
    first = boss.post("/org/members", json={"email": "late@example.com", "role": "viewer"}).json
    token = invitation_token(app, "late@example.com")
    new_account(app, "brand", email="late@example.com")
    late = token_for(client, "late@example.com")
    with app.app_context():
        db.session.execute(update(OrgInvitation).where(OrgInvitation.id == first["id"])
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert late.post("/org/invitations/accept", json={"token": token}).status_code == 422
    second = boss.post("/org/members", json={"email": "late@example.com", "role": "viewer"}).json
    assert boss.delete(f"/org/invitations/{second['id']}").status_code == 204
    assert late.post("/org/invitations/accept",
                     json={"token": invitation_token(app, "late@example.com")}).status_code == 422
    assert late.post("/org/invitations/accept", json={"token": token[:-3] + "abc"}).status_code == 422
    assert [m["role"] for m in boss.get("/org").json["members"]] == ["owner"]
    assert late.get("/org").json["members"][0]["role"] == "owner"  # still alone in its own


def test_only_the_invited_address_and_kind_may_accept(app, client, api, make_user):
    boss = api(make_user("brand"))
    boss.post("/org/members", json={"email": "right@example.com", "role": "finance"})
    token = invitation_token(app, "right@example.com")
    new_account(app, "brand", email="wrong@example.com")
    assert token_for(client, "wrong@example.com").post("/org/invitations/accept",
                                                       json={"token": token}).status_code == 403
    new_account(app, "provider", email="right@example.com")
    r = token_for(client, "right@example.com").post("/org/invitations/accept", json={"token": token})
    assert r.status_code == 409 and r.json["error"]["code"] == "wrong_kind"


def test_an_account_with_business_of_its_own_cannot_move(app, client, api, make_user, deal):
    d = deal()
    owner = api(make_user("brand"))
    email = d.brand.get("/me").json["email"]
    owner.post("/org/members", json={"email": email, "role": "finance"})
    r = d.brand.post("/org/invitations/accept", json={"token": invitation_token(app, email)})
    assert r.status_code == 409 and r.json["error"]["code"] == "member_elsewhere"
    assert d.brand.get(f"/contracts/{d.contract_id}").status_code == 200


def test_roles_of_the_other_side_and_unknown_roles_are_refused(api, make_user):
    boss = api(make_user("brand"))
    assert boss.post("/org/members", json={"email": "x@example.com", "role": "bid_manager"}).status_code == 422
    assert boss.post("/org/members", json={"email": "x@example.com", "role": "chief"}).status_code == 422


def test_removing_a_member_ends_its_logins_and_tokens_at_once(app, client, api, make_user):
    boss = api(make_user("brand"))
    member_id, member = join(app, client, boss, "brand", "procurement")
    with app.app_context():
        email = db.session.get(User, member_id).email
    browser = app.test_client()
    assert finish_login(browser, form_post(browser, "/login", {"email": email, "password": PASSWORD}),
                        email).status_code == 302
    assert browser.get("/org").status_code == 200
    assert member.get("/org").status_code == 200

    assert boss.delete(f"/org/members/{member_id}").status_code == 204
    assert member.get("/org").status_code == 401
    assert browser.get("/org").status_code == 302  # back to the login page
    assert member_id not in [m["user_id"] for m in boss.get("/org").json["members"]]
    with app.app_context():  # it keeps an account of its own, alone, acting for nobody else
        user = db.session.get(User, member_id)
        assert user.account_id == member_id and user.org_role == "owner"


def test_the_owner_keeps_the_organisation(app, client, api, make_user):
    owner = make_user("brand")
    boss = api(owner)
    second_id, second = join(app, client, boss, "brand", "owner")
    assert boss.delete(f"/org/members/{owner.id}").json["error"]["code"] == "cannot_remove_self"
    assert second.delete(f"/org/members/{owner.id}").json["error"]["code"] == "principal"
    viewer_id, viewer = join(app, client, boss, "brand", "viewer")
    assert viewer.delete(f"/org/members/{second_id}").status_code == 403
    assert client.patch(f"/api/v1/org/members/{viewer_id}", json={"role": "finance"},
                        headers={"Authorization": f"Bearer {viewer.token}"}).status_code == 403
    r = client.patch(f"/api/v1/org/members/{viewer_id}", json={"role": "finance"},
                     headers={"Authorization": f"Bearer {boss.token}"})
    assert r.status_code == 200 and r.json["role"] == "finance"
    assert client.patch(f"/api/v1/org/members/{second_id}", json={"role": "viewer"},
                        headers={"Authorization": f"Bearer {boss.token}"}).status_code == 200
    last = client.patch(f"/api/v1/org/members/{owner.id}", json={"role": "viewer"},
                        headers={"Authorization": f"Bearer {boss.token}"})
    assert last.status_code == 409 and last.json["error"]["code"] == "last_owner"


def test_another_organisation_never_sees_the_members(api, make_user):
    assert api(make_user("brand")).delete(f"/org/members/{make_user('brand').id}").status_code == 404


# --- the two-member rule ------------------------------------------------------------------------------

def _finance_pair(app, client, d):
    return join(app, client, d.brand, "brand", "finance"), join(app, client, d.brand, "brand", "finance")


def test_a_large_fund_waits_for_a_second_finance_member(app, client, deal):
    d = deal(amounts=(100000_00, 20000_00))
    d.deposit(120000_00)
    (_first_id, first), (second_id, second) = _finance_pair(app, client, d)
    assert d.brand.put("/org/settings", json={"dual_fund_above": 50000_00}).status_code == 200
    big, small = d.milestone_ids

    held = first.post(f"/milestones/{big}/fund")
    assert held.status_code == 200 and held.json["status"] == "awaiting_confirmation"
    with app.app_context():  # the other finance member and the owner are asked to confirm
        asked = set(db.session.scalars(select(Notification.user_id)
                                       .where(Notification.kind == "fund_confirmation_needed")))
        assert asked == {second_id, d.brand.get("/me").json["id"]}
    page = signed_in(app, second_id).get(f"/contracts/{d.contract_id}").get_data(as_text=True)
    assert f'data-testid="fund-request-{big}"' in page and f"/contracts/milestones/{big}/fund" in page
    again = first.post(f"/milestones/{big}/fund")
    assert again.status_code == 409 and again.json["error"]["code"] == "second_member_required"
    with app.app_context():
        assert db.session.get(Milestone, big).status == "pending"
        assert ledger.balance(ledger.account("brand_wallet", "CNY", user_id=d.brand_id)) == 120000_00

    assert second.post(f"/milestones/{big}/fund").json["status"] == "funded"
    assert first.post(f"/milestones/{small}/fund").json["status"] == "funded"  # under the amount: one member
    with app.app_context():
        request = db.session.scalar(select(FundRequest).where(FundRequest.milestone_id == big))
        assert request.confirmed_by_id is not None and request.confirmed_by_id != request.requested_by_id
        assert ledger.balance(ledger.account("brand_wallet", "CNY", user_id=d.brand_id)) == 0
        assert ledger.balance(ledger.escrow(db.session.get(Milestone, big))) == 100000_00


def test_only_owners_switch_the_rule_and_the_amount_is_checked(app, client, deal):
    d = deal()
    (_id, first), _second = _finance_pair(app, client, d)
    assert first.put("/org/settings", json={"dual_fund_above": 1}).status_code == 403
    assert d.brand.put("/org/settings", json={"dual_fund_above": -1}).status_code == 422
    assert d.brand.put("/org/settings", json={"dual_fund_above": None}).json["dual_fund_above"] is None


@pytest.mark.postgres
def test_two_members_confirming_at_once_fund_once(app, client, deal, live_server):
    from tests.test_concurrency import post_json_answer, race  # noqa: PLC0415 (the race helpers live there)

    d = deal(amounts=(100000_00, 20000_00, 30000_00))
    d.deposit(300000_00)
    (_first_id, first), (_second_id, second) = _finance_pair(app, client, d)
    third_id, third = join(app, client, d.brand, "brand", "finance")
    d.brand.put("/org/settings", json={"dual_fund_above": 10000_00})
    milestone = d.milestone_ids[0]
    assert first.post(f"/milestones/{milestone}/fund").json["status"] == "awaiting_confirmation"
    url = f"{live_server.url}/api/v1/milestones/{milestone}/fund"
    answers = race(2, lambda i: post_json_answer(url, (second, third)[i].token, {}))
    assert sorted(code for code, _ in answers) == [200, 409], answers
    with app.app_context():
        assert db.session.get(Milestone, milestone).status == "funded"
        assert ledger.balance(ledger.escrow(db.session.get(Milestone, milestone))) == 100000_00
        assert ledger.balance(ledger.account("brand_wallet", "CNY", user_id=d.brand_id)) == 200000_00
        assert db.session.scalar(select(Membership).where(Membership.user_id == third_id)).role == "finance"


def test_members_hear_of_their_organisations_events(app, client, deal):
    d = deal()
    delivery_id, delivery = join(app, client, d.provider, "provider", "delivery")
    d.deposit(150000_00)
    d.fund(0)
    with app.app_context():
        told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "milestone_funded")))
    assert told == {d.provider.get("/me").json["id"], delivery_id}
    assert delivery.post(f"/milestones/{d.milestone_ids[0]}/deliver", json={"note": "done"}).status_code == 200


def test_the_directory_lists_organisations_not_their_members(app, client, api, make_user):
    owner = make_user("provider", display_name="Guangying Studio")
    join(app, client, api(owner), "provider", "bid_manager")
    listed = [p["id"] for p in api().get("/providers").json["items"]]
    assert listed == [owner.id]


def test_the_organisation_is_called_what_its_profile_says(api, make_user):
    boss = api(make_user("brand"))
    r = boss.put("/me/brand-profile", json={"store_name": "Semir Flagship Store", "size_tier": "large",
                                            "registration_number": None})
    assert r.status_code == 200, r.json
    assert boss.get("/org").json["name"] == "Semir Flagship Store"
