"""The one source of "now" in the application.

Everything that compares against the current time calls `now()`, so tests (and `flask reminders sweep --now`)
can move time without sleeping. Instants are stored in UTC and shown in Europe/London.
"""
from __future__ import annotations

import contextlib
import threading
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc

_frozen: datetime | None = None
#: `as_if` pins the clock for one thread only: the scheduler runs its jobs in a thread pool, and a sweep pinned at its
#: instant must not stop the clock for a delivery pass running beside it (nor leave it stopped when two pinned jobs
#: overlap and restore each other's "previous" value out of order, as a process-wide pin did)
_this_thread = threading.local()


def now() -> datetime:
    """The current instant as an aware UTC datetime."""
    pinned = getattr(_this_thread, "instant", None)
    if pinned is not None:
        return pinned
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


@contextlib.contextmanager
def as_if(instant: datetime):
    """Pin `now()` to one instant in this thread only, for the duration of a block (a sweep or summary run "as if"
    at an instant, while other jobs go on in real time)."""
    previous = getattr(_this_thread, "instant", None)
    _this_thread.instant = ensure_utc(instant)
    try:
        yield _this_thread.instant
    finally:
        _this_thread.instant = previous


@contextlib.contextmanager
def frozen_at(instant: datetime):
    """Pin `now()` to one instant everywhere in the process for the duration of a block: tests (whose served app
    runs in another thread) and the demo seed. Never in code the scheduler runs: see `as_if`."""
    global _frozen
    previous = _frozen
    _frozen = ensure_utc(instant)
    try:
        yield _frozen
    finally:
        _frozen = previous


def ensure_utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive value is taken to be UTC already (as SQLite returns it)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_london(value: datetime) -> datetime:
    return ensure_utc(value).astimezone(LONDON)


def london_today() -> date:
    return to_london(now()).date()


def london_datetime(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in London as an aware UTC instant (zoneinfo resolves BST/GMT)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)
