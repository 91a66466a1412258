"""What was sent to whom about a record, read from the outbox itself, so a page that says "sent to the police
mailbox" says only what is true.

The reminders feature owns the outbox and registers `register_source` at app creation; features that show a
circulation list (discussions' minutes) ask `sent_about(object_type, object_id)` without importing reminders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable


@dataclass(frozen=True)
class Delivery:
    #: a person's name, or an agency's mailbox address
    to: str
    #: "In the app and by email", "Email to the agency's shared mailbox", ...
    how: str
    #: pending, sent or failed
    state: str
    written_at: datetime
    sent_at: datetime | None = None


_SOURCES: list[Callable[[str, int], list[Delivery]]] = []


def register_source(source: Callable[[str, int], list[Delivery]]) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def sent_about(object_type: str, object_id: int) -> list[Delivery]:
    found: list[Delivery] = []
    for source in _SOURCES:
        found.extend(source(object_type, object_id))
    return sorted(found, key=lambda d: (d.written_at, d.to))
