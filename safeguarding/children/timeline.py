"""A child's timeline: what every feature knows about the child, newest first, a page at a time.

Each feature with something to show provides `safeguarding/<feature>/timeline.py`, registered when the app is created
(`register_timeline`), with `entries(child, user, newest) -> list[TimelineEntry]`. The child is one `user` may see
(the caller has checked, as `visible_child_or_404` does); a provider scopes what it adds beyond that (a discussion the
user is not involved in, a difference they are not party to). `newest` (None: all) is how many of the newest entries
the page needs: a provider returns at least every one of its own entries among its `newest` newest (it may return
more), so the kinds a child has hundreds of (agreed actions, discussions) cost a page's worth of rows, however long
the child's history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # shown as a tag: "Strategy discussion", "Decision", "Agreed action", "Missing episode", ...
    title: str
    detail: str = ""
    url: str | None = None


_PROVIDERS: list = []


def register_timeline(module) -> None:
    if module not in _PROVIDERS:
        _PROVIDERS.append(module)


def _providers():
    return tuple(_PROVIDERS)


PER_PAGE = 25


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    #: older entries follow this page
    more: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def timeline(child, user, newest: int | None = None) -> list[TimelineEntry]:
    """The child's timeline newest first: all of it, or (`newest`) its `newest` newest entries."""
    entries = [TimelineEntry(at=child.created_at, kind="Record", title="Child's record created")]
    for adversity in child.adversities:
        by = f"Reported by {adversity.recorded_by.name}" if adversity.recorded_by else ""
        entries.append(TimelineEntry(at=adversity.recorded_at, kind="Family adversity", title=adversity.label,
                                     detail=by))
    for provider in _providers():
        entries.extend(provider.entries(child, user, newest))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries if newest is None else entries[:newest]


def timeline_page(child, user, number: int, per_page: int = PER_PAGE) -> TimelinePage:
    """Page `number` of the timeline: each provider reads up to the end of that page (and one more, to know
    whether older entries follow), never the whole history."""
    start = (number - 1) * per_page
    entries = timeline(child, user, newest=start + per_page + 1)
    return TimelinePage(entries=entries[start:start + per_page], number=number, more=len(entries) > start + per_page)
