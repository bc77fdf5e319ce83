"""Domain errors. The web layer turns them into form messages, the API into the contract's JSON."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError


class DomainError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None):
        self.message = message if message is not None else self.default_message()
        self.code = code or self.code
        self.fields = fields or {}
        super().__init__(str(self.message))

    def default_message(self):
        return _l("This action is not possible right now.")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"

    def default_message(self):
        return _l("Please log in.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"

    def default_message(self):
        return _l("You are not allowed to do that.")


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def default_message(self):
        return _l("Not found.")


class Conflict(DomainError):
    """An illegal state transition or a clash with existing data."""


class Busy(DomainError):
    """Too much of something expensive at once (password hashing): try again shortly (429 `busy`)."""

    status = 429
    code = "busy"

    def default_message(self):
        return _l("Too busy right now. Try again in a few seconds.")


class Invalid(DomainError):
    """Well-formed input whose values break a rule; `fields` says which and why."""

    status = 422
    code = "invalid"

    def default_message(self):
        return _l("Some values are not valid.")


def check(fields: dict) -> None:
    """Raise one Invalid carrying every failed field at once (so a form can show them all)."""
    failed = {name: why for name, why in fields.items() if why}
    if failed:
        raise Invalid(fields=failed)


def is_unique_violation(exc: IntegrityError) -> bool:
    """A unique constraint (or primary key) refused the row — a twin request won a race — as opposed to
    NOT NULL, a foreign key or a CHECK, which mean a bug."""
    orig = exc.orig
    if (sqlstate := getattr(orig, "sqlstate", None)) is not None:  # psycopg
        return sqlstate == "23505"
    return getattr(orig, "sqlite_errorname", "") in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
