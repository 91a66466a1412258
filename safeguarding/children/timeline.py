"""A child's timeline: what every feature knows about the child, newest first.

Each feature with something to show provides `safeguarding/<feature>/timeline.py`, registered when the app is created
(`register_timeline`), with `entries(child, user) -> list[TimelineEntry]`, itself scoped to what `user` may see.
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


def timeline(child, user) -> list[TimelineEntry]:
    entries = [TimelineEntry(at=child.created_at, kind="Record", title="Child's record created")]
    for adversity in child.adversities:
        by = f"Reported by {adversity.recorded_by.name}" if adversity.recorded_by else ""
        entries.append(TimelineEntry(at=adversity.recorded_at, kind="Family adversity", title=adversity.label,
                                     detail=by))
    for provider in _providers():
        entries.extend(provider.entries(child, user))
    return sorted(entries, key=lambda e: e.at, reverse=True)
