"""Accounts: users with one role each, their logins (one row per signed-in browser) and hashed API tokens."""
from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, String, func, select, text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow

ROLES = ("brand", "provider", "admin")
SELF_REGISTER_ROLES = ("brand", "provider")  # admins are created from the command line only


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # the few suspended accounts, which every public list leaves out (`suspended_ids`): read from this
    # small partial index, never by scanning every user
    __table_args__ = (Index("ix_users_suspended", "id", postgresql_where=text("suspended_at IS NOT NULL"),
                            sqlite_where=text("suspended_at IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # The account's avatar (a provider) or logo (a brand): an Upload's stored name (services/portfolio.py)
    avatar_name: Mapped[str | None] = mapped_column(String(80))
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    # None until the owner follows the link mailed to this address (bidding, awarding, funding and
    # being paid wait for it: services.accounts.require_verified_email).
    email_verified_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Notifications of the important kinds also go by e-mail (the account page's switch).
    email_notifications: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    # Two-factor sign-in (services.two_factor): the TOTP secret (base32, stored as is and never shown
    # again once enrolment is confirmed), when enrolment was confirmed (None: not enrolled, or a secret
    # waiting for its first code), and the last 30 s time step whose code was accepted (a code is used once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[object | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Set while a suspension stands (models.suspension; services.suspensions keeps the two in step): the
    # cheap check every login and token makes, without reading the suspensions table.
    suspended_at: Mapped[object | None] = mapped_column(UTCDateTime())

    provider_profile = relationship("ProviderProfile", back_populates="user", uselist=False,
                                    foreign_keys="ProviderProfile.user_id")
    brand_profile = relationship("BrandProfile", back_populates="user", uselist=False,
                                 foreign_keys="BrandProfile.user_id")
    # Its place in an organisation (brands and providers have one; staff none). Loaded with the user,
    # since nearly every service asks for the account it acts for.
    membership = relationship("Membership", back_populates="user", uselist=False, lazy="joined",
                              foreign_keys="Membership.user_id")

    # The login this request was authenticated with (set by the user loader; None for API and workers).
    login_token = None  # type: str | None
    login_id = None  # type: int | None  (its user_logins row, and when that row last recorded a use)
    login_last_used_at = None

    def get_id(self) -> str:
        """Flask-Login keeps this in the session and the remember cookie: the user and the login's own
        random token, so a cookie is only as good as its `user_logins` row (services.sessions)."""
        return f"{self.id}:{self.login_token or ''}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def account_id(self) -> int:
        """The users row this user acts for: its organisation's principal, which owns the tenders, bids,
        contracts and ledger accounts. Ownership is compared against this, never against `id`; `id`
        stays the person who acted (events, audit trails)."""
        m = self.membership
        return m.organisation.account_user_id if m is not None else self.id

    @property
    def org_role(self) -> str | None:
        return self.membership.role if self.membership is not None else None

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated or suspended account cannot log in
        return self.active and not self.is_suspended

    @property
    def is_suspended(self) -> bool:
        """Its own suspension, or its organisation's: suspending a company (its principal) keeps every
        member out; suspending one member keeps only that person out."""
        if self.suspended_at is not None:
            return True
        m = self.membership
        return (m is not None and m.organisation.account_user_id != self.id
                and m.organisation.account_user.suspended_at is not None)

    @property
    def is_brand(self) -> bool:
        return self.role == "brand"

    @property
    def is_provider(self) -> bool:
        return self.role == "provider"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def suspended_ids(cls):
        """SELECT of the suspended accounts' ids: listings (tenders, the directory, recommendations) leave
        them out, as nobody can deal with an account that cannot act."""
        return select(cls.id).where(cls.suspended_at.is_not(None))

    @classmethod
    def by_email(cls, email: str) -> "User | None":
        return db.session.scalar(select(cls).where(func.lower(cls.email) == email.strip().lower()))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role} {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the open API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, so the owner can tell tokens apart
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime())

    user = relationship(User)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class UserLogin(db.Model):
    """One signed-in browser: its session cookie and its "keep me logged in" cookie both carry the
    random token whose SHA-256 is stored here. Logging out deletes the row (a copied cookie is then
    refused), as do a password change or reset (every other login) and "sign out everywhere"."""

    __tablename__ = "user_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    # Shown on the account page: written at most every few minutes (services.sessions.touch)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(45))


class RecoveryCode(db.Model):
    """One of the ten single-use codes that stand in for a TOTP code when the phone is lost. Only an
    argon2 hash is stored; `used_at` is set once, by a conditional UPDATE, so a code works once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime())
