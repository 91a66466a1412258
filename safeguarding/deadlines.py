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

And, so My work can read a person's or a team's from rows kept in step with the records (`kept_deadlines/rows.py`:
a CSC manager's team holds thousands of open deadlines at ten times the largest partnership), per type of record
its clocks belong to, how to work out those records' deadlines whatever the time, and which changes move them:

    KEPT: tuple[KeptObject, ...]
    KEPT_WATCHES: tuple[Watch, ...]

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
from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Iterable, Iterator




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


def split_counts(found: Iterable[Deadline], *, now: datetime, end_of_today: datetime) -> tuple[int, int, int]:
    """(overdue, due later today, due later) of deadlines read whole."""
    counts = [0, 0, 0]
    for d in found:
        counts[0 if d.due_at <= now else 1 if d.due_at < end_of_today else 2] += 1
    return counts[0], counts[1], counts[2]


def owned(owner_ids: Collection[int], *, now: datetime, end_of_today: datetime, due_before: datetime, limit: int,
          offset: int = 0, modules: Iterable | None = None) -> tuple[tuple[int, int, int], list[Deadline]]:
    """(overdue, due later today, due later) of the open deadlines of `owner_ids` due before `due_before`, and
    those deadlines soonest first, rows offset to offset + limit, asking each provider (`modules`: only these) the
    ordinary question. My work reads the features' own deadlines from the rows kept for it
    (`kept_deadlines/rows.py`) and asks this only of a provider that keeps none (the tests' own): right, not bounded."""
    if not owner_ids:
        return (0, 0, 0), []
    counts, runs = [0, 0, 0], []
    for module in (providers() if modules is None else modules):
        first = sorted(module.open_deadlines(due_before=due_before, owner_ids=owner_ids), key=order_key)
        counts = [a + b for a, b in zip(counts, split_counts(first, now=now, end_of_today=end_of_today),
                                        strict=True)]
        runs.append(first)
    return (counts[0], counts[1], counts[2]), list(heapq.merge(*runs, key=order_key))[offset:offset + limit]
