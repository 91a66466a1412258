"""One shape for every clock in the product, and the one question the dashboard and the reminder sweep ask.

Each feature with clocks provides `safeguarding/<feature>/deadlines.py`, registered when the app is created
(`register_provider`, from `safeguarding/__init__.py`), with:

    KINDS: dict[str, str]   # kind -> label a person would use, e.g. {"agreed_action": "Agreed action"}
    def open_deadlines(*, due_before: datetime, owner_ids: Collection[int] | None = None,
                       due_from: datetime | None = None) -> list[Deadline]
    def earliest_due(*, due_before: datetime) -> datetime | None    # no later than any open deadline here

Optionally, for kinds a partnership can have thousands of (My work's partnership section pages them in SQL):

    PAGED_KINDS: frozenset[str]
    def page_deadlines(kind, *, due_before, limit, offset=0) -> list[Deadline]       # soonest first
    def count_deadlines(kind, *, now, end_of_today, due_before) -> (overdue, today, later)   # one statement

For a person's or a team's own (My work: the person's list, a manager's team, "show all"), every provider also
says how to count and page them in SQL, whatever the number of open rows (a CSC manager's team holds thousands at
ten times the largest partnership):

    def owned_plan(*, owner_ids, due_before) -> (list[Source], list[Deadline])

its kinds whose due time is a column, as `Source`s (a query, unordered, and that column), and the deadlines of its
derived clocks (working days, checkpoints: few per person), read whole. Together they are exactly what
`open_deadlines(due_before=..., owner_ids=owner_ids)` returns (a team mailbox deadline once per manager asked
about). `owned` below counts every provider's sources in one statement (`count_sources`, each through the owners'
index), reads each source with something to show up to offset + limit (`first_of_source`, ordered and limited in
SQL), and merges them with the derived clocks (`owned_from`): a page costs the owners' index entries plus the rows
up to the end of the page, not every row the team holds.

`open_deadlines` returns the feature's deadlines that are still open (not done, cancelled or met) and due
before `due_before`, optionally only those owned by `owner_ids`. It must be one indexed query (or a few) whose
cost grows with the rows returned, not with the size of the database. The dashboard asks for a user's (and a
manager's team's) deadlines due within 7 days; the reminder sweep asks for everyone's due within the longest
reminder lead time. Both see exactly the same deadlines, so a user is never chased for something they cannot see.

`due_from` (inclusive) bounds the due time from below, so the sweep can read a window (what has just become due)
or walk a long backlog in slices of time; a clock derived from another time (a checkpoint, a working-day count)
filters its bound conservatively in SQL and exactly in Python, so each deadline falls in exactly one slice.
`earliest_due` is where such a walk starts. Asked for everyone's deadlines (`owner_ids=None`), a provider returns
each deadline once: a team's deadline with nobody named is one Deadline with `owner_id=None` and
`team_mailbox=True`, never one per manager (the sweep routes it to one mailbox or one fallback person).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Collection, Iterable, Iterator

from sqlalchemy import and_, select, true

from . import clock
from .counting import count_where
from .id_lists import among


@dataclass(frozen=True)
class Deadline:
    #: e.g. "agreed_action", "minutes_circulation", "icpc", "return_interview", "police_protection"
    kind: str
    #: what the clock belongs to, so reminders can be keyed (rule, object, level, recipient)
    object_type: str
    object_id: int
    #: shown in the app only (may name the child); never put in an email
    title: str
    #: aware UTC
    due_at: datetime
    #: path inside the app, e.g. "/discussions/12#action-40"
    url: str
    #: whose it is
    owner_id: int | None
    owner_agency_id: int | None
    child_id: int | None = None
    child_name: str | None = None
    #: who is told when it is badly overdue; None means the owner's line manager
    escalate_to_id: int | None = None
    #: a team's, not one person's (an interview nobody has been assigned yet): shown on each manager's My work, but
    #: reminders go once to the owning agency's shared mailbox when it has one, not to every manager
    team_mailbox: bool = False

    def is_overdue(self, at: datetime) -> bool:
        return self.due_at <= at


#: the features with clocks, each answering "which of my deadlines are open and due before X?"
_PROVIDERS: list = []


def register_provider(module) -> None:
    if module not in _PROVIDERS:
        _PROVIDERS.append(module)


def providers() -> Iterator:
    yield from _PROVIDERS


def kinds() -> dict[str, str]:
    result: dict[str, str] = {}
    for module in providers():
        result.update(module.KINDS)
    return result


def open_deadlines(*, due_before: datetime, owner_ids: Collection[int] | None = None,
                   due_from: datetime | None = None) -> list[Deadline]:
    """Every feature's open deadlines due before `due_before` (and from `due_from`), soonest first."""
    found: list[Deadline] = []
    bounds = {"due_from": due_from} if due_from is not None else {}
    for module in providers():
        found.extend(module.open_deadlines(due_before=due_before, owner_ids=owner_ids, **bounds))
    return sorted(found, key=lambda d: (d.due_at, d.kind, d.object_id))


def earliest_due(*, due_before: datetime) -> datetime | None:
    """No later than any open deadline due before `due_before` (None: no feature has one)."""
    found = [t for module in providers() if (t := module.earliest_due(due_before=due_before)) is not None]
    return min(found, default=None)


def order_key(d: Deadline) -> tuple:
    """Soonest first; a team mailbox deadline shown once per manager comes in the managers' order."""
    return d.due_at, d.kind, d.object_id, d.owner_id or 0


@dataclass(frozen=True)
class Source:
    """One kind's open deadlines for some owners, as SQL: `query` selects them (unordered, no loader options); `key`
    is the row's id; their due time is `due` (+ `shift`, for a clock a fixed time after a column); `order` is due
    time then id (then the owner, for a row per manager); `build` runs a query like `query` (narrowed to some ids)
    with its loader options and turns the rows into Deadlines."""
    query: object
    key: object
    due: object
    order: tuple
    build: Callable[[object], list[Deadline]]
    shift: timedelta = field(default=timedelta(0))


def count_sources(sources: list[Source], *, now: datetime, end_of_today: datetime) -> list[tuple[int, int, int]]:
    """(overdue, due later today, due later) of each source, in one statement: for each source one row of three
    sums over the source's rows, found through the owners' index once.

    Not a UNION ALL of one grouped SELECT per source: PostgreSQL ran that as a Parallel Append at ten times the
    largest partnership (the owners' IN list inflates its estimates), and starting the workers cost 15 to 20 ms of
    a 3 ms query. Nor a WHERE per part of the week: for the narrow parts the planner then walked the whole
    partnership's due-time index rather than the owners'. Nor a scalar subquery per source and part of the week
    (as before): each source's rows were found three times, and the statement, three copies of every source's
    conditions, cost more to build and to plan than to run."""
    from .extensions import db

    if not sources:
        return []
    rows = []
    for place, source in enumerate(sources):
        due, overdue_until, today_until = source.due, now - source.shift, end_of_today - source.shift
        rows.append(source.query.order_by(None).with_only_columns(
            count_where(due <= overdue_until).label("overdue"),
            count_where(and_(due > overdue_until, due < today_until)).label("today"),
            count_where(due >= today_until).label("later")).subquery(f"kind_{place}"))
    joined = rows[0]
    for row in rows[1:]:
        joined = joined.join(row, true())  # one row each: side by side
    found = db.session.execute(select(*(c for row in rows for c in (row.c.overdue, row.c.today, row.c.later)))
                               .select_from(joined)).one()
    return [(int(found[i]), int(found[i + 1]), int(found[i + 2])) for i in range(0, len(found), 3)]


def _first_keys(source: Source, limit: int, *also):
    """The ids (and `also`, columns of the same rows) of the source's first `limit` rows. The owners' rows are found
    first (OFFSET 0 keeps PostgreSQL from walking a whole-partnership index in due order and filtering it for these
    owners until `limit` are found: for a small team that is most of the partnership's open rows); only those are
    sorted."""
    columns = [source.key.label("k"), *(column.label(f"a{i}") for i, column in enumerate(also)),
               *(column.label(f"o{i}") for i, column in enumerate(source.order))]
    owned = source.query.order_by(None).with_only_columns(*columns).offset(0).subquery()
    return (select(owned.c.k, *(owned.c[f"a{i}"] for i in range(len(also))))
            .order_by(*(owned.c[f"o{i}"] for i in range(len(source.order)))).limit(limit))


def first_of_source(source: Source, *, limit: int) -> list[Deadline]:
    """The source's first `limit` deadlines, soonest first: their ids in a subquery, the rows loaded by id in the
    same statement."""
    return sorted(source.build(source.query.where(source.key.in_(_first_keys(source, limit)))),
                  key=order_key)[:limit]


def _first_due(source: Source, limit: int) -> list[tuple[datetime, int]]:
    """(due time, id) of the source's first `limit` rows: the ids and times only, no rows loaded."""
    from .extensions import db

    found = db.session.execute(_first_keys(source, limit, source.due))
    return [(clock.ensure_utc(due) + source.shift, key) for key, due in found]


def owned_from(sources: Iterable[Source], derived: Iterable[Deadline], *, now: datetime, end_of_today: datetime,
               limit: int) -> tuple[tuple[int, int, int], list[Deadline]]:
    """Counts and the first `limit` of some owners' deadlines: the sources counted in one statement, the derived
    clocks (read whole for these owners) counted here, all merged in `order_key` order.

    When there are more than `limit` in all, rows are loaded only for what can be among the first `limit`: each
    source's first `limit` ids and due times are read (no rows), and only the ids due no later than the
    `limit`-th soonest of them all (ties included, so the order's later keys still decide) are loaded. Loading
    each kind's first `limit` instead built several times the rows a page shows (a CSC manager's team: 350 rows,
    each with its child, for a page of 50)."""
    sources, derived = list(sources), sorted(derived, key=order_key)
    counts = list(split_counts(derived, now=now, end_of_today=end_of_today))
    having: list[tuple[int, Source]] = []
    for place, (source, found) in enumerate(zip(sources, count_sources(sources, now=now, end_of_today=end_of_today),
                                                strict=True)):
        counts = [a + b for a, b in zip(counts, found, strict=True)]
        if sum(found):
            having.append((place, source))
    runs = [derived]
    if sum(counts) <= limit or len(having) <= 1:
        # everything fits on the page, or one kind holds it all: each kind's first rows are the page
        runs += [first_of_source(source, limit=limit) for _, source in having]
    else:
        candidates = [(due, place, key) for place, source in having for due, key in _first_due(source, limit)]
        dues = sorted([due for due, _, _ in candidates] + [d.due_at for d in derived])
        cutoff = dues[limit - 1] if len(dues) > limit else None
        wanted: dict[int, set[int]] = {}
        for due, place, key in candidates:
            if cutoff is None or due <= cutoff:
                wanted.setdefault(place, set()).add(key)
        for place, keys in sorted(wanted.items()):
            source = sources[place]
            runs.append(sorted(source.build(source.query.where(among(source.key, keys))), key=order_key))
    return (counts[0], counts[1], counts[2]), list(heapq.merge(*runs, key=order_key))[:limit]


def split_counts(found: Iterable[Deadline], *, now: datetime, end_of_today: datetime) -> tuple[int, int, int]:
    """(overdue, due later today, due later) of deadlines read whole."""
    counts = [0, 0, 0]
    for d in found:
        counts[0 if d.due_at <= now else 1 if d.due_at < end_of_today else 2] += 1
    return counts[0], counts[1], counts[2]


def owned(owner_ids: Collection[int], *, now: datetime, end_of_today: datetime, due_before: datetime, limit: int,
          offset: int = 0) -> tuple[tuple[int, int, int], list[Deadline]]:
    """(overdue, due later today, due later) of the open deadlines of `owner_ids` due before `due_before`, and
    those deadlines soonest first, rows offset to offset + limit: every provider's sources counted in one statement
    and read up to offset + limit each, merged with the derived clocks (a k-way merge of sorted runs)."""
    if not owner_ids:
        return (0, 0, 0), []
    sources: list[Source] = []
    derived: list[Deadline] = []
    counts, runs = [0, 0, 0], []
    for module in providers():
        if hasattr(module, "owned_plan"):
            theirs, read_whole = module.owned_plan(owner_ids=owner_ids, due_before=due_before)
            sources += theirs
            derived += read_whole
        else:
            # a provider not moved over (the tests' own) is asked the ordinary question and counted here: still
            # right, only not bounded
            first = sorted(module.open_deadlines(due_before=due_before, owner_ids=owner_ids), key=order_key)
            counts = [a + b for a, b in zip(counts, split_counts(first, now=now, end_of_today=end_of_today),
                                            strict=True)]
            runs.append(first)
    if sources or derived:
        found, first = owned_from(sources, derived, now=now, end_of_today=end_of_today, limit=offset + limit)
        counts = [a + b for a, b in zip(counts, found, strict=True)]
        runs.append(first)
    return (counts[0], counts[1], counts[2]), list(heapq.merge(*runs, key=order_key))[offset:offset + limit]
