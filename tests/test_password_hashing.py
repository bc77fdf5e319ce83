"""Passwords are hashed with argon2id at the library's recommended cost; only an app under TESTING uses
the cheap parameters, and the choice is made per app when a password is hashed."""
from argon2 import PasswordHasher, Type
from argon2.profiles import RFC_9106_LOW_MEMORY

from extensions import db
from models import User
from services import accounts
from tests.support.backends import make_app
from tests.support.web import PASSWORD

STRONG_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


def test_production_parameters_are_the_strong_ones():
    strong = accounts.STRONG_HASHER
    assert (strong.type, strong.time_cost, strong.memory_cost, strong.parallelism) == (Type.ID, 3, 65536, 4)
    assert (strong.time_cost, strong.memory_cost) == (RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost)
    assert (strong.hash_len, strong.salt_len) == (32, 16)


def test_an_app_not_under_testing_hashes_at_production_cost(app):
    production = make_app(TESTING=False)  # the same database, as deployed
    assert not production.config["TESTING"]
    with production.app_context():
        user = accounts.register(email="strong@example.com", password=PASSWORD, role="brand", display_name="S")
        db.session.commit()
        assert user.password_hash.startswith(STRONG_PREFIX)
        assert accounts.authenticate("strong@example.com", PASSWORD).id == user.id


def test_an_app_under_testing_hashes_cheaply_and_still_with_argon2id(app):
    with app.app_context():
        user = accounts.register(email="cheap@example.com", password=PASSWORD, role="brand", display_name="C")
        db.session.commit()
        assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert accounts.authenticate("cheap@example.com", PASSWORD).id == user.id
        assert accounts.authenticate("cheap@example.com", "wrong password") is None
        assert accounts.authenticate("nobody@example.com", PASSWORD) is None


def test_a_cheap_hash_is_upgraded_at_the_next_login_outside_testing(app):
    with app.app_context():
        accounts.register(email="upgrade@example.com", password=PASSWORD, role="brand", display_name="U")
        db.session.commit()
    production = make_app(TESTING=False)
    with production.app_context():
        user = accounts.authenticate("upgrade@example.com", PASSWORD)
        db.session.commit()
        assert db.session.get(User, user.id).password_hash.startswith(STRONG_PREFIX)
        assert not PasswordHasher().check_needs_rehash(user.password_hash)
