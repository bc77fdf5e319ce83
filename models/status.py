"""Statuses as types: one `StrEnum` per status-bearing model, and one way to change a status.

Each model module defines its status enum, the named subsets of it, and `TRANSITIONS`, the allowed
moves as data; the model class points at them (`Status`, `TRANSITIONS`; `UNDO` for moves back that
only undoing an earlier move may make; `STATUS_ATTR` when the stored column has another attribute
name, as Tender's does). `transition(obj, new)` is the only code
that writes a status after a row is created: it consults the table and refuses any other move.
The enum values are the strings stored and shown by the API, so a member equals its old string.
"""
from enum import StrEnum

from sqlalchemy import CheckConstraint


class IllegalTransition(Exception):
    """A status move the model's table does not allow. Services turn the ones a user can cause into
    a domain error (409) with their own wording; any other is a bug and surfaces as one."""

    def __init__(self, obj, old: str, new: str):
        self.obj, self.old, self.new = obj, old, new
        super().__init__(f"{type(obj).__name__} {getattr(obj, 'id', None)}: {old} → {new} is not allowed")


def status_check(status: type[StrEnum], column: str = "status") -> CheckConstraint:
    """The CHECK constraint that keeps a status column to its enum's values (named
    `ck_<table>_<column>` by the metadata's naming convention)."""
    values = ", ".join(f"'{member.value}'" for member in status)
    return CheckConstraint(f"{column} IN ({values})", name=column)


def can_move(obj, new: str, *, undo: bool = False) -> bool:
    """Whether `obj` may go from its status now to `new` (as an undo: by the model's UNDO table)."""
    table = getattr(type(obj), "UNDO", {}) if undo else type(obj).TRANSITIONS
    return new in table.get(obj.status, ())


def transition(obj, new: str, *, undo: bool = False) -> str:
    """Move `obj` to status `new` if its model's table allows it, else raise IllegalTransition.
    Returns the status it had. The stored value is the enum's plain string.

    A model whose `status` is derived from its stored column (a tender past its deadline reads as
    evaluating) may also write down the status it already reads as."""
    cls = type(obj)
    try:
        new = cls.Status(new)
    except ValueError:
        raise IllegalTransition(obj, obj.status, new) from None
    attr = getattr(cls, "STATUS_ATTR", "status")
    old, stored = obj.status, getattr(obj, attr)
    persisting = attr != "status" and new == old and stored != old
    if not (persisting or can_move(obj, new, undo=undo)):
        raise IllegalTransition(obj, old, new)
    setattr(obj, attr, new.value)
    return old
