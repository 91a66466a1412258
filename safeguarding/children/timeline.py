"""A child's timeline: what every feature knows about the child, newest first.

Each feature with something to show provides `safeguarding/<feature>/timeline.py` with
`entries(child, user) -> list[TimelineEntry]`, itself scoped to what `user` may see.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime

FEATURES = ("discussions", "missing", "differences")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # shown as a tag: "Strategy discussion", "Decision", "Agreed action", "Missing episode", ...
    title: str
    detail: str = ""
    url: str | None = None


def _providers():
    for name in FEATURES:
        try:
            yield importlib.import_module(f"safeguarding.{name}.timeline")
        except ModuleNotFoundError as err:
            if err.name not in (f"safeguarding.{name}", f"safeguarding.{name}.timeline"):
                raise


def timeline(child, user) -> list[TimelineEntry]:
    entries = [TimelineEntry(at=child.created_at, kind="Record", title="Child's record created")]
    for adversity in child.adversities:
        entries.append(TimelineEntry(at=adversity.recorded_at, kind="Family adversity", title=adversity.label))
    for provider in _providers():
        entries.extend(provider.entries(child, user))
    return sorted(entries, key=lambda e: e.at, reverse=True)
