"""Legal holds and anonymisation on the child's timeline, so whoever opens the record sees why it is kept (or
why its details are gone). The reason for a hold is not shown here: it may name proceedings."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.orm import joinedload

from ..children.timeline import TimelineEntry
from ..clock import LONDON
from ..extensions import db
from .models import LegalHold, RetentionAction


def entries(child, user, newest: int | None = None) -> list[TimelineEntry]:
    # `newest` unused: a child has at most a hold or two and one anonymisation
    result = []
    holds = db.session.execute(db.select(LegalHold).options(joinedload(LegalHold.set_by))
                               .where(LegalHold.child_id == child.id)).scalars().all()
    for hold in holds:
        result.append(TimelineEntry(at=hold.set_at, kind="Legal hold", title="Records put on legal hold",
                                    detail=f"By {hold.set_by.name}; the retention schedule does not apply",
                                    url=f"/retention/children/{child.id}/hold"))
        if hold.released_at is not None:
            result.append(TimelineEntry(at=hold.released_at, kind="Legal hold", title="Legal hold released"))
    action = db.session.execute(db.select(RetentionAction).where(RetentionAction.child_id == child.id)
                                ).scalar_one_or_none()
    if action is not None:
        result.append(TimelineEntry(at=action.done_at, kind="Retention",
                                    title="Anonymised under the retention schedule",
                                    detail=f"Due {datetime.combine(action.due_on, time(), LONDON):%-d %B %Y}"))
    return result
