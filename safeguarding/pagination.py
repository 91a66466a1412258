"""Pagination for every list: a page of rows plus what the GOV.UK pagination component needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from .extensions import db

PER_PAGE = 25


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: Any) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, 100_000))


def paginate(query, raw_page: Any, per_page: int = PER_PAGE, *, scalars: bool = True) -> Page:
    """Run `query` for one page (LIMIT/OFFSET) plus one COUNT; two statements whatever the page size."""
    number = page_number(raw_page)
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    result = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, number=number, per_page=per_page, total=total)
