"""The discussions list's rows: the columns the list shows, read as plain rows, not ORM records.

A page of 25 discussions as records was 25 discussions, their chairs, 30-odd links to children and the children
themselves (a hundred-odd objects to build, track and expire); the list shows a handful of columns of each. So the
page is read as columns (the chair's name and the attending agencies' kinds joined in the same statement) and the
children's names in one more statement for the page's discussions.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import aliased

from ..auth.models import User
from ..children.models import Child, display_name
from ..extensions import db
from .models import DiscussionChild, StatusLabels, StrategyDiscussion, attended_kinds


@dataclass
class DiscussionRow(StatusLabels):
    id: int
    kind: str
    status: str
    urgency: str
    scheduled_at: datetime | None
    minutes_status: str | None
    circulation_due_at: datetime | None
    chair_name: str | None
    attended: str | None
    child_names: list[str] = field(default_factory=list)

    @property
    def present_agency_kinds(self) -> set[str]:
        return set(filter(None, (self.attended or "").split(",")))


@functools.cache
def _columns():
    # built once: statements are immutable, and building this one (an alias, the attendance subquery) cost more
    # than a millisecond a page; each page adds its own conditions and order to it
    chair = aliased(User)
    return (db.select(
        StrategyDiscussion.id, StrategyDiscussion.kind, StrategyDiscussion.status, StrategyDiscussion.urgency,
        StrategyDiscussion.scheduled_at, StrategyDiscussion.minutes_status, StrategyDiscussion.circulation_due_at,
        chair.name, attended_kinds())
        .select_from(StrategyDiscussion).outerjoin(chair, chair.id == StrategyDiscussion.chair_id))


def rows_query(conditions, order):
    """The discussions meeting `conditions` (the person's scope, the list's filters) in `order`, as the list's
    columns."""
    return _columns().where(*conditions).order_by(*order)


def children_named(discussion_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Each discussion's children (id, name as pages say it) in the order they were added, for a page of
    discussions in one statement."""
    found: dict[int, list[tuple[int, str]]] = {}
    if discussion_ids:
        for discussion_id, child_id, first, last, unborn in db.session.execute(
                db.select(DiscussionChild.discussion_id, Child.id, Child.first_name, Child.last_name, Child.is_unborn)
                .join(Child, Child.id == DiscussionChild.child_id)
                .where(DiscussionChild.discussion_id.in_(discussion_ids))
                .order_by(DiscussionChild.discussion_id, DiscussionChild.id)):
            found.setdefault(discussion_id, []).append((child_id, display_name(first, last, unborn)))
    return found


def as_rows(found) -> list[DiscussionRow]:
    """The page's rows (from `rows_query`), each with its children's names in the order they were added."""
    rows = [DiscussionRow(*values) for values in found]
    children = children_named([row.id for row in rows])
    for row in rows:
        row.child_names = [name for _, name in children.get(row.id, [])]
    return rows
