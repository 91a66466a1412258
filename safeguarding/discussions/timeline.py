"""A child's strategy discussions, decisions and agreed actions, for the child's timeline (scoped to the user)."""
from __future__ import annotations

from sqlalchemy.orm import joinedload

from .access import discussion_scope
from ..children.timeline import TimelineEntry
from ..extensions import db
from .models import AgreedAction, ChildRemoval, DiscussionChild, StrategyDiscussion, ThresholdDecision


def entries(child, user) -> list[TimelineEntry]:
    visible = (db.select(StrategyDiscussion.id)
               .join(DiscussionChild, DiscussionChild.discussion_id == StrategyDiscussion.id)
               .where(DiscussionChild.child_id == child.id, discussion_scope(user)))
    discussions = db.session.execute(
        db.select(StrategyDiscussion).where(StrategyDiscussion.id.in_(visible))).scalars().all()
    result = []
    for sd in discussions:
        url = f"/discussions/{sd.id}"
        when = sd.scheduled_at or sd.created_at
        detail = sd.status_label if sd.status != "decided" else sd.minutes_status_label
        result.append(TimelineEntry(at=when, kind="Strategy discussion",
                                    title=f"{'Review' if sd.kind == 'review' else 'Initial'} strategy discussion",
                                    detail=detail, url=url))
    # A child taken off a discussion keeps it on their timeline, with why (the reason is on the discussion page).
    removed = (db.select(ChildRemoval).join(StrategyDiscussion, StrategyDiscussion.id == ChildRemoval.discussion_id)
               .where(ChildRemoval.child_id == child.id, discussion_scope(user)))
    for r in db.session.execute(removed).scalars():
        result.append(TimelineEntry(at=r.removed_at, kind="Strategy discussion",
                                    title="Removed from a strategy discussion",
                                    detail="The reason is recorded on the discussion",
                                    url=f"/discussions/{r.discussion_id}#removed-children"))
    ids = [sd.id for sd in discussions]
    if not ids:
        return result
    for d in db.session.execute(db.select(ThresholdDecision).where(
            ThresholdDecision.child_id == child.id, ThresholdDecision.discussion_id.in_(ids))).scalars():
        detail = f"ICPC due by {d.icpc_due_on.strftime('%-d %B %Y')}" if d.icpc_due_on else ""
        result.append(TimelineEntry(at=d.decided_at, kind="Decision", title=d.outcome_label, detail=detail,
                                    url=f"/discussions/{d.discussion_id}#decision-{child.id}"))
    for a in db.session.execute(db.select(AgreedAction).options(joinedload(AgreedAction.owner)).where(
            AgreedAction.discussion_id.in_(ids),
            (AgreedAction.child_id == child.id) | AgreedAction.child_id.is_(None))).scalars():
        result.append(TimelineEntry(at=a.created_at, kind="Agreed action", title=a.description[:120],
                                    detail=f"{a.status_label}; owner {a.owner.name}",
                                    url=f"/discussions/actions/{a.id}"))
    return result
