"""The search document every searchable row keeps (written by services/search_index.py, never by hand)."""
from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

SEARCHABLE_TABLES = ("tenders", "provider_profiles", "contests")
# What the migration adds beside the models, per backend (see services/search_index.py): on PostgreSQL a
# GIN expression index per table, on SQLite an FTS5 table (with its shadow tables) and its triggers.
FTS_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")


class SearchDocument:
    """`search_title`: the title or name cut into words; `search_text`: the rest of its text, likewise."""
    search_title: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)


def is_search_index(name: str | None, type_: str) -> bool:
    """Whether a database object is part of the search index the models do not declare (migrations only)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == f"{t}_fts{suffix}" for t in SEARCHABLE_TABLES for suffix in FTS_SHADOWS)
    if type_ == "index":
        return name in {f"ix_{t}_search" for t in SEARCHABLE_TABLES}
    if type_ == "column":  # PostgreSQL: the stored tsvector the GIN index is on (never read by the ORM)
        return name == "search_vector"
    return False


def include_name(name, type_, parent_names) -> bool:
    """Alembic's `include_name` hook: compare everything but the search index (models/search.py)."""
    return not is_search_index(name, type_)
