"""Legal holds and anonymisation on the child's timeline, so whoever opens the record sees why it is kept (or
why its details are gone). The reason for a hold is not shown here: it may name proceedings."""
from __future__ import annotations

from datetime import datetime, time

from ..auth.models import User
from ..children.timeline import CHILD, TimelineEntry, columns
from ..clock import LONDON
from ..extensions import db
from .models import LegalHold, RetentionAction


def timeline_shape(child, user) -> tuple:
    return None, {}  # every child and person alike


def timeline_selects(shape) -> list:
    # a child has at most a hold or two and one anonymisation
    return [
        db.select(*columns("hold", LegalHold.set_at, LegalHold.id, words=User.name))
        .select_from(LegalHold).join(User, User.id == LegalHold.set_by_id).where(LegalHold.child_id == CHILD),
        db.select(*columns("released", LegalHold.released_at, LegalHold.id))
        .where(LegalHold.child_id == CHILD, LegalHold.released_at.is_not(None)),
        db.select(*columns("anonymised", RetentionAction.done_at, RetentionAction.id, day=RetentionAction.due_on))
        .where(RetentionAction.child_id == CHILD, RetentionAction.done_at.is_not(None)),
    ]


def timeline_entry(row, child) -> TimelineEntry:
    if row.source == "hold":
        return TimelineEntry(at=row.at, kind="Legal hold", title="Records put on legal hold",
                             detail=f"By {row.words}; the retention schedule does not apply",
                             url=f"/retention/children/{child.id}/hold")
    if row.source == "released":
        return TimelineEntry(at=row.at, kind="Legal hold", title="Legal hold released")
    return TimelineEntry(at=row.at, kind="Retention", title="Anonymised under the retention schedule",
                         detail=f"Due {datetime.combine(row.day, time(), LONDON):%-d %B %Y}")
