"""The organisations migration: every brand and provider that existed becomes the owner and principal of
a one-member organisation named as the other side saw it, with its objects and its API tokens unchanged."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update

from extensions import db
from models import Organisation, ProviderProfile, User

BEFORE_ORGANISATIONS = "e4f1a9c2b7d3"  # dispute corrections, the revision before


def test_existing_accounts_become_one_member_organisations_and_keep_working(app, deal, make_user):
    d = deal()
    staff_id = make_user("admin").id
    provider_id = d.provider.get("/me").json["id"]
    with app.app_context():
        db.session.execute(update(ProviderProfile).where(ProviderProfile.user_id == provider_id)
                           .values(company_name="Guangying Studio Ltd"))
        db.session.commit()
        downgrade(revision=BEFORE_ORGANISATIONS)  # the tables go; users, tenders, contracts, ledger stay
        upgrade()
        db.session.remove()
        users = db.session.scalars(select(User)).all()
        for user in users:
            if user.is_admin:
                assert user.membership is None and user.account_id == user.id
                continue
            organisation = user.membership.organisation
            assert (user.membership.role, organisation.kind, organisation.account_user_id) == \
                ("owner", user.role, user.id)
            assert [m.user_id for m in organisation.memberships] == [user.id]
        assert db.session.scalar(select(Organisation.name).where(Organisation.account_user_id == provider_id)) \
            == "Guangying Studio Ltd"
        assert db.session.get(User, staff_id).membership is None
    # the tokens made before still work, and the contract's whole money flow runs as before
    assert d.brand.get(f"/contracts/{d.contract_id}").json["brand_id"] == d.brand_id
    d.deposit(150000_00)
    d.release(0)
    assert d.milestone(0)["status"] == "released"
    assert d.brand.get("/org").json["members"][0]["role"] == "owner"
