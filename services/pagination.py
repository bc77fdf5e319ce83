"""One way to page a query: a count and one page of rows, whatever the page size."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from services.errors import check

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def validate_paging(page: int, per_page: int) -> None:
    check({
        "page": page < 1 and _l("Must be 1 or more."),
        "per_page": not 1 <= per_page <= MAX_PER_PAGE and _l("Must be between 1 and %(max)s.", max=MAX_PER_PAGE),
    })


def paginate(stmt, page: int, per_page: int, *, unique: bool = False) -> Page:
    """Run `stmt` (a select of entities, already ordered) for one page plus one COUNT query."""
    validate_paging(page, per_page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    result = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.unique() if unique else result)
    return Page(items=items, page=page, per_page=per_page, total=total)
