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

from sqlalchemy import bindparam
from sqlalchemy.orm import aliased

from ..auth.access import now_when_run
from ..auth.models import User
from ..children.models import Child, display_name
from ..extensions import db
from .models import DiscussionChild, Invitation, StatusLabels, StrategyDiscussion, attended_kinds


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


#: the list's views, each the same object on every request (statements are kept per view: `listed`)
VIEWS = {name: name for name in ("upcoming", "awaiting_decision", "awaiting_minutes", "drafts", "all")}
#: the filters' values, bound when the list runs
AGENCY, SINCE, UNTIL = bindparam("list_agency"), bindparam("list_since"), bindparam("list_until")


def listed(scope, view: str, by_agency: bool, since: bool, until: bool):
    """The list's statements for one person's scope (`discussion_scope`), `view` (one of VIEWS) and the filters in
    use: its rows, and the discussions to count. Built to be kept (`auth.access.scoped`): the time and the filters'
    values are bound parameters (AGENCY, SINCE, UNTIL), never values written into a kept statement."""
    sd = StrategyDiscussion
    at = now_when_run()
    conditions = [scope]
    order = [sd.scheduled_at.desc(), sd.id.desc()]
    if view == "upcoming":
        conditions += [sd.status == "convened", sd.scheduled_at >= at]
        order = [sd.scheduled_at, sd.id]
    elif view == "awaiting_decision":
        conditions += [sd.status == "convened", sd.scheduled_at < at]
    elif view == "awaiting_minutes":
        conditions += [sd.status == "decided", sd.minutes_status.in_(("draft", "agreed"))]
        order = [sd.circulation_due_at, sd.id]
    elif view == "drafts":
        conditions.append(sd.status == "draft")
        order = [sd.created_at, sd.id]
    if by_agency:
        conditions.append(sd.id.in_(db.select(Invitation.discussion_id).where(
            Invitation.agency_id == AGENCY, Invitation.status != "not_invited")))
    if since:
        conditions.append(sd.scheduled_at >= SINCE)
    if until:
        conditions.append(sd.scheduled_at < UNTIL)
    return rows_query(conditions, order), db.select(sd.id).where(*conditions)


def children_named(discussion_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Each discussion's children (id, name as pages say it) in the order they were added, for a page of
    discussions in one statement."""
    found: dict[int, list[tuple[int, str]]] = {}
    if discussion_ids:
        for discussion_id, child_id, first, last, unborn in db.session.execute(
                _children_named_statement(), {"named_discussions": discussion_ids}):
            found.setdefault(discussion_id, []).append((child_id, display_name(first, last, unborn)))
    return found


@functools.cache
def _children_named_statement():
    return (db.select(DiscussionChild.discussion_id, Child.id, Child.first_name, Child.last_name, Child.is_unborn)
            .join(Child, Child.id == DiscussionChild.child_id)
            .where(DiscussionChild.discussion_id.in_(bindparam("named_discussions", expanding=True)))
            .order_by(DiscussionChild.discussion_id, DiscussionChild.id))


def as_rows(found) -> list[DiscussionRow]:
    """The page's rows (from `rows_query`), each with its children's names in the order they were added."""
    rows = [DiscussionRow(*values) for values in found]
    children = children_named([row.id for row in rows])
    for row in rows:
        row.child_names = [name for _, name in children.get(row.id, [])]
    return rows
