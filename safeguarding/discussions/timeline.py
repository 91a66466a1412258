"""A child's strategy discussions, decisions and agreed actions, for the child's timeline (scoped to the user)."""
from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import joinedload

from .access import discussion_scope
from ..children.timeline import TimelineEntry
from ..extensions import db
from .models import AgreedAction, ChildRemoval, DiscussionChild, StrategyDiscussion, ThresholdDecision


def _newest(query, at, newest: int | None):
    """`query` newest first, only its `newest` newest rows (each row is one entry, at `at`)."""
    query = query.order_by(at.desc())
    return query if newest is None else query.limit(newest)


def entries(child, user, newest: int | None = None) -> list[TimelineEntry]:
    # The scope once, for the ids and dates of every discussion about the child the user may see (narrow rows, the
    # child's own history); then only the page's worth of discussions, decisions and actions, by those ids. With the
    # scope as a subquery in each, it was worked out four times and its estimate (one row) led the planner to join
    # every user to each action to find its owner.
    when = func.coalesce(StrategyDiscussion.scheduled_at, StrategyDiscussion.created_at)
    visible = db.session.execute(
        db.select(StrategyDiscussion.id, when)
        .join(DiscussionChild, DiscussionChild.discussion_id == StrategyDiscussion.id)
        .where(DiscussionChild.child_id == child.id, discussion_scope(user))).all()
    ids = [sd_id for sd_id, _ in visible]
    shown = [sd_id for sd_id, _ in sorted(visible, key=lambda row: row[1], reverse=True)[:newest]]
    discussions = db.session.execute(
        db.select(StrategyDiscussion).where(StrategyDiscussion.id.in_(shown))).scalars().all() if shown else []
    result = []
    for sd in discussions:
        url = f"/discussions/{sd.id}"
        detail = sd.status_label if sd.status != "decided" else sd.minutes_status_label
        result.append(TimelineEntry(at=sd.scheduled_at or sd.created_at, kind="Strategy discussion",
                                    title=f"{'Review' if sd.kind == 'review' else 'Initial'} strategy discussion",
                                    detail=detail, url=url))
    # A child taken off a discussion keeps it on their timeline, with why (the reason is on the discussion page).
    removed = (db.select(ChildRemoval).join(StrategyDiscussion, StrategyDiscussion.id == ChildRemoval.discussion_id)
               .where(ChildRemoval.child_id == child.id, discussion_scope(user)))
    for r in db.session.execute(_newest(removed, ChildRemoval.removed_at, newest)).scalars():
        result.append(TimelineEntry(at=r.removed_at, kind="Strategy discussion",
                                    title="Removed from a strategy discussion",
                                    detail="The reason is recorded on the discussion",
                                    url=f"/discussions/{r.discussion_id}#removed-children"))
    if not ids:
        return result
    # Decisions and actions of every visible discussion (the page's newest may be of discussions not on it).
    decisions = db.select(ThresholdDecision).where(ThresholdDecision.child_id == child.id,
                                                   ThresholdDecision.discussion_id.in_(ids))
    for d in db.session.execute(_newest(decisions, ThresholdDecision.decided_at, newest)).scalars():
        detail = f"ICPC due by {d.icpc_due_on.strftime('%-d %B %Y')}" if d.icpc_due_on else ""
        result.append(TimelineEntry(at=d.decided_at, kind="Decision", title=d.outcome_label, detail=detail,
                                    url=f"/discussions/{d.discussion_id}#decision-{child.id}"))
    actions = db.select(AgreedAction).options(joinedload(AgreedAction.owner)).where(
        AgreedAction.discussion_id.in_(ids),
        (AgreedAction.child_id == child.id) | AgreedAction.child_id.is_(None))
    for a in db.session.execute(_newest(actions, AgreedAction.created_at, newest)).scalars():
        result.append(TimelineEntry(at=a.created_at, kind="Agreed action", title=a.description[:120],
                                    detail=f"{a.status_label}; owner {a.owner.name}",
                                    url=f"/discussions/actions/{a.id}"))
    return result
