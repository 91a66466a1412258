"""A real deadline provider for reminder tests: chase tasks in their own table, queried like a feature's.

It lives outside the application's metadata (so migrations never see it) and is installed by `install()`,
which adds it to `safeguarding.deadlines.providers` beside whatever features have landed.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, select

from safeguarding import deadlines
from safeguarding.clock import LONDON
from safeguarding.deadlines import Deadline
from safeguarding.extensions import db
from safeguarding.types import UTCDateTime

metadata = MetaData()

chase_task = Table(
    "test_chase_task", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False, default="agreed_action"),
    Column("title", String(200), nullable=False),
    Column("child_name", String(200)),
    Column("due_at", UTCDateTime, nullable=False),
    Column("owner_id", Integer),
    Column("owner_agency_id", Integer),
    Column("escalate_to_id", Integer),
    Column("done_at", UTCDateTime),
    Index("ix_test_chase_task_open_due", "due_at", sqlite_where=Column("done_at").is_(None),
          postgresql_where=Column("done_at").is_(None)),
)

KIND = "agreed_action"
#: a second kind, as the discussions feature will provide, for MASH staff's partnership view
MINUTES = "minutes_circulation"
KINDS = {KIND: "Agreed action", MINUTES: "Minutes to circulate"}


def open_deadlines(*, due_before: datetime, owner_ids=None, due_from: datetime | None = None) -> list[Deadline]:
    query = select(chase_task).where(chase_task.c.done_at.is_(None), chase_task.c.due_at < due_before)
    if due_from is not None:
        query = query.where(chase_task.c.due_at >= due_from)
    if owner_ids is not None:
        query = query.where(chase_task.c.owner_id.in_(list(owner_ids)))
    return [
        Deadline(kind=row.kind, object_type="test_chase_task", object_id=row.id, title=row.title, due_at=row.due_at,
                 url=f"/tests/task/{row.id}", owner_id=row.owner_id, owner_agency_id=row.owner_agency_id,
                 child_name=row.child_name, escalate_to_id=row.escalate_to_id)
        for row in db.session.execute(query.order_by(chase_task.c.due_at))
    ]


def earliest_due(*, due_before: datetime):
    return db.session.execute(select(func.min(chase_task.c.due_at)).where(chase_task.c.done_at.is_(None))).scalar()


def create_table() -> None:
    metadata.drop_all(db.engine)
    metadata.create_all(db.engine)


def drop_table() -> None:
    db.session.rollback()
    metadata.drop_all(db.engine)


def add_task(title: str, due_at: datetime, owner, *, child_name: str | None = "Ellie Example",
             escalate_to=None, kind: str = KIND) -> int:
    result = db.session.execute(chase_task.insert().values(
        kind=kind, title=title, child_name=child_name, due_at=due_at, owner_id=owner.id if owner else None,
        owner_agency_id=owner.agency_id if owner else None,
        escalate_to_id=escalate_to.id if escalate_to else None))
    db.session.commit()
    return result.inserted_primary_key[0]


def complete(task_id: int, at: datetime) -> None:
    db.session.execute(chase_task.update().where(chase_task.c.id == task_id).values(done_at=at))
    db.session.commit()


def install(monkeypatch=None) -> None:
    """Add this module to the deadline providers (the features that have landed stay in)."""
    module = sys.modules[__name__]
    real = deadlines.providers

    def with_test_provider():
        yield from real()
        yield module

    if monkeypatch is not None:
        monkeypatch.setattr(deadlines, "providers", with_test_provider)
    else:
        deadlines.providers = with_test_provider


def london(*args) -> datetime:
    """A London wall-clock time as an aware UTC instant."""
    return datetime(*args, tzinfo=LONDON).astimezone(timezone.utc)
