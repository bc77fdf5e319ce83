"""Command-line: create an admin, load demo data only into an empty database."""

from sqlalchemy import func, select

from extensions import db
from models import Contract, LedgerPosting, ProviderProfile, Tender, User
from models.catalog import CATEGORIES


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "Boss@Witkey.example.com", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = User.by_email("boss@witkey.example.com")
        assert user.role == "admin"
    result = runner.invoke(args=["users", "create-admin", "boss@witkey.example.com", "--password", "long enough pw"])
    assert result.exit_code != 0 and "email: " in result.output  # the reason, in the default language
    result = runner.invoke(args=["users", "create-admin", "other@witkey.example.com", "--password", "short"])
    assert result.exit_code != 0 and "password" in result.output


def test_create_admin_prompts_for_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "p@witkey.example.com"], input="long enough pw\nlong enough pw\n"
    )
    assert result.exit_code == 0, result.output


def test_demo_data_covers_categories_provinces_and_statuses(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "staff@witkey.demo" in result.output
    with app.app_context():
        providers = db.session.scalars(select(ProviderProfile)).all()
        assert {c for p in providers for c in p.categories} == set(CATEGORIES)
        assert len({p.province for p in providers}) >= 5
        assert {p.verification_status for p in providers} == {"unsubmitted", "pending", "verified", "rejected"}
        statuses = {t.status for t in db.session.scalars(select(Tender))}
        assert statuses == {"open", "evaluating", "awarded", "cancelled"}
        # under way: the photo shoot, the customer-service retainer and the metered photos; three completed
        contracts = db.session.scalars(select(Contract.status)).all()
        assert sorted(contracts) == ["active"] * 3 + ["completed"] * 3
        deposits = select(func.count()).select_from(LedgerPosting).where(LedgerPosting.kind == "deposit")
        assert db.session.scalar(deposits) == 3  # demo brands start with money in their wallets
        users = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users
