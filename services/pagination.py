"""One way to page a query: one page of rows and a count that stays cheap, whatever the table's size.

Two ways through a list:
- by page number (`page`): OFFSET, which the database pays for row by row — fine for the first pages,
  slower the deeper one goes (past `COUNT_CAP` rows, prefer the cursor);
- by cursor (`cursor`): where a list is read in a fixed order ending in a unique column (a `Keyset`),
  each page names the last row's sort key as an opaque `next_cursor`, and the next page starts right
  after it through the index: as fast on page 10,000 as on page 1.
The count is exact up to `COUNT_CAP` rows; beyond, it stops there and says so (`total_is_estimate`).
"""
import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, tuple_

from extensions import db
from services.errors import check

MAX_PER_PAGE = 100
# Lists count this many rows at most ("more than 1,000" beyond). The count walks its index entries, so its cost
# is the cap's: at 1,000,000 tenders a 10,000 cap cost ~10 ms a request (p50 1.4× the 1,000-tender size);
# 1,000 costs the same at any size (bench/results/web-2026-12-07-1m.md).
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Keyset:
    """The order a list is read in, for cursors: its columns, all descending or all ascending, the last one
    unique (the id), so that "after this row" is one row-value comparison an index answers. Columns may be
    expressions (a nullable sort key as `coalesce(stars, 0)`, an ascending id as `-id`): then `key` gives
    an item's values of them."""
    columns: tuple
    descending: bool = True
    key: Callable[[object], list] | None = None

    def after(self, values: list):
        row = tuple_(*self.columns)
        bound = tuple_(*(literal(v, column.type) for column, v in zip(self.columns, values, strict=True)))
        return row < bound if self.descending else row > bound

    def values_of(self, item) -> list:
        return self.key(item) if self.key else [getattr(item, column.key) for column in self.columns]


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # more than `total` (= COUNT_CAP) rows match
    more: bool | None = None  # whether rows follow this page (None: judge by the count)
    next_cursor: str | None = None  # where the next page starts, for lists with a Keyset

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.more if self.more is not None else self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def validate_paging(page: int, per_page: int) -> None:
    check({
        "page": page < 1 and _l("Must be 1 or more."),
        "per_page": not 1 <= per_page <= MAX_PER_PAGE and _l("Must be between 1 and %(max)s.", max=MAX_PER_PAGE),
    })


def capped_count(stmt, cap: int | None = None) -> tuple[int, bool]:
    """(rows matching `stmt`, whether there are more than that): counts at most `cap` (COUNT_CAP) + 1 rows."""
    cap = COUNT_CAP if cap is None else cap
    counted = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).limit(cap + 1).subquery()))
    return (cap, True) if counted > cap else (counted, False)


def _plain(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return {"d": str(value)} if isinstance(value, Decimal) else value


def _typed(value):
    if not isinstance(value, dict):
        return value
    return datetime.fromisoformat(value["t"]) if "t" in value else Decimal(value["d"])


def encode_cursor(values: list) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keyset: Keyset | None) -> list:
    """The sort key a cursor names; a 422 on `cursor` if it is not one this list gave out."""
    values = None
    if keyset is not None:
        try:
            values = [_typed(v) for v in json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))]
        except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation, binascii.Error):
            values = None
    check({"cursor": (values is None or len(values) != len(keyset.columns)
                      or any(isinstance(v, (dict, list)) for v in values))
           and _l("This cursor is not one this list gave out: start again from the first page.")})
    return values


def _deep(stmt, offset: int, rows: int):
    """`stmt` from row `offset` on, the rows skipped found by their key alone (a "deferred join"): the
    database walks `offset` index entries, not `offset` rows with everything the page joins to them."""
    entity = stmt.column_descriptions[0].get("entity") if len(stmt.column_descriptions) == 1 else None
    keys = getattr(getattr(entity, "__mapper__", None), "primary_key", ())
    if len(keys) != 1:
        return stmt.offset(offset)
    return stmt.where(keys[0].in_(stmt.with_only_columns(keys[0]).offset(offset).limit(rows)))


def paginate(stmt, page: int, per_page: int, *, unique: bool = False, keyset: Keyset | None = None,
             cursor: str | None = None, cap: int | None = None, deferred: bool = False) -> Page:
    """Run `stmt` (a select of entities, already ordered — by `keyset`'s columns, if given) for one page,
    by page number or, given `cursor`, the page after it; with a count capped at `cap` (`capped_count`).

    `deferred`: the first page too is picked by key alone before its rows are joined to what they load
    with (`_deep`), for an order no index serves (a search's rank): the database then sorts the candidates'
    keys, not the candidates with every joined row, and joins only the page's rows."""
    validate_paging(page, per_page)
    if cursor:
        stmt_page = stmt.where(keyset.after(decode_cursor(cursor, keyset))) if keyset else decode_cursor(cursor, None)
    else:
        stmt_page = _deep(stmt, (page - 1) * per_page, per_page + 1) if page > 1 or deferred else stmt
    total, estimate = capped_count(stmt, cap)
    result = db.session.scalars(stmt_page.limit(per_page + 1))
    items = list(result.unique() if unique else result)
    more, items = len(items) > per_page, items[:per_page]
    next_cursor = encode_cursor(keyset.values_of(items[-1])) if keyset is not None and more else None
    return Page(items=items, page=page, per_page=per_page, total=total, total_is_estimate=estimate, more=more,
                next_cursor=next_cursor)
