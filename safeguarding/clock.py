"""The one source of "now" in the application.

Everything that compares against the current time calls `now()`, so tests (and `flask reminders sweep --now`)
can move time without sleeping. Instants are stored in UTC and shown in Europe/London.
"""
from __future__ import annotations

import contextlib
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant as an aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


@contextlib.contextmanager
def frozen_at(instant: datetime):
    """Pin `now()` to one instant for the duration of a block (tests, one-off sweeps)."""
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
