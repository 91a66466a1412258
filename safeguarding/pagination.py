"""Pagination for every list: a page of rows plus what the GOV.UK pagination component needs."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import func, literal, select

from .extensions import db
from .kept_statements import kept as kept_statement

PER_PAGE = 25
#: lists count at most this many rows: an exact count of a partnership's whole history costs what the partnership
#: holds, not what the page shows; past it the page says "more than 250" and still pages on with "Next". 250 (ten
#: pages) rather than 1,000: a practitioner's scoped list checks each row it counts against their scope, so counting
#: to 1,000 was most of the cost of the school's, health's and social workers' children lists at ten times the
#: largest partnership (and grew with it); nobody pages past the tenth page, they search or filter.
COUNT_CAP = 250


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int
    #: the count stopped at COUNT_CAP
    capped: bool = False
    #: a row exists after this page
    more: bool = False

    @property
    def pages(self) -> int:
        counted = max(1, -(-min(self.total, COUNT_CAP) // self.per_page))
        return max(counted, self.number + (1 if self.more else 0)) if self.capped else counted

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.more


def page_number(raw: Any) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, 100_000))


def _written(number: int):
    """A LIMIT or OFFSET written into the statement, not sent as a parameter. PostgreSQL plans a prepared statement
    once for any values (a generic plan) only if that plan looks no worse than planning for each: with the page's
    LIMIT unknown, a scoped list's generic plan looked (and was) a thousand times slower, so each request planned
    its list afresh (about 1 ms for a practitioner's discussions, every time). Written in, the first page's
    statement is planned once per connection; each page number is a statement of its own."""
    return literal(number, literal_execute=True)


#: how many page and count statements `paginate` keeps for lists whose statement is itself kept: a list page's first
#: few page numbers for the people using a worker now (a statement is some 20 to 40 kB once it has run)
KEPT = 256
_KEPT: OrderedDict = OrderedDict()
_KEPT_LOCK = Lock()


def _page_statement(query, per_page: int, offset: int):
    return query.limit(_written(per_page + 1)).offset(_written(offset))


def _count_statement(query, counted):
    rows = query.order_by(None) if counted is None else counted
    return select(func.count()).select_from(rows.limit(_written(COUNT_CAP + 1)).subquery())


def paginate(query, raw_page: Any, per_page: int = PER_PAGE, *, scalars: bool = True, counted=None,
             params: dict | None = None, kept: bool = False) -> Page:
    """Run `query` for one page (LIMIT/OFFSET, one row more to know if there is a next) plus, when the page is full,
    one COUNT of at most COUNT_CAP + 1 rows; two statements at most whatever the page size, and neither grows with
    the whole table. A page that is not full is the last: it says how many rows there are, so a list that fits on
    one page (a filtered list, a practitioner's) costs one statement. `counted`: the rows to count, when `query` is
    shaped to reach only as far as the page (the same rows, in full), or to count them in an order of its own: its
    ORDER BY is kept (an indexed order makes a scoped count probe the rows the first pages show, not whichever rows
    the table stores first). `params`: values for the statements' bound parameters. `kept`: `query` and `counted`
    are the same objects on each request of this list for this person and shape (`auth.access.scoped`, values as
    bound parameters), so the page's and the count's statements are kept with them rather than built again."""
    number = page_number(raw_page)
    offset = (number - 1) * per_page
    # a kept list's statements are kept with it (`kept_statements`): building them walked the person's scope again
    statement = (kept_statement(_KEPT, _KEPT_LOCK, KEPT, _page_statement, (query,), (per_page, offset)) if kept
                 else _page_statement(query, per_page, offset))
    result = db.session.execute(statement, params)
    rows = list(result.scalars() if scalars else result)
    if len(rows) <= per_page and (rows or number == 1):
        total = min(offset + len(rows), COUNT_CAP + 1)  # what the count would have said
    else:
        count = (kept_statement(_KEPT, _KEPT_LOCK, KEPT, _count_statement, (query, counted)) if kept
                 else _count_statement(query, counted))
        total = db.session.execute(count, params).scalar_one()
    return Page(items=rows[:per_page], number=number, per_page=per_page, total=total,
                capped=total > COUNT_CAP, more=len(rows) > per_page)
