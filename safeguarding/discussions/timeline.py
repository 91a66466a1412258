"""A child's strategy discussions, decisions and agreed actions, for the child's timeline (scoped to the user)."""
from __future__ import annotations

from sqlalchemy import false, func, true, union_all

from ..auth.models import User
from ..children.timeline import CHILD, TimelineEntry, columns
from ..extensions import db
from .access import discussion_scope
from .models import (ACTION_STATUSES, MINUTES_STATUSES, STATUSES, AgreedAction, ChildRemoval, DiscussionChild,
                     StrategyDiscussion, ThresholdDecision)
from .thresholds import OUTCOMES

_WHEN = func.coalesce(StrategyDiscussion.scheduled_at, StrategyDiscussion.created_at)


def timeline_shape(child, user) -> tuple:
    # the person's scope (the same object on each of their requests, `per_person`): the timeline's statement is
    # built once for it, and the database works the scope out once for the child, in the statement itself
    return discussion_scope(user), {}


def timeline_selects(scope) -> list:
    # The ids of the child's discussions the scope lets through, each with whether the child is still on it (or was
    # taken off): worked out once (a WITH read four times, which PostgreSQL materialises), narrow rows of the child's
    # own history. The discussions, decisions, actions and removals are then reached from those ids by their
    # indexes. With the scope as a subquery in each, it was worked out four times and its estimate (one row) led the
    # planner to join every user to each action to find its owner; read by a statement of its own first, it cost a
    # round trip and a statement's work in Python on every child's page.
    visible = union_all(
        db.select(StrategyDiscussion.id.label("id"), true().label("linked"))
        .join(DiscussionChild, DiscussionChild.discussion_id == StrategyDiscussion.id)
        .where(DiscussionChild.child_id == CHILD, scope),
        db.select(StrategyDiscussion.id, false())
        .join(ChildRemoval, ChildRemoval.discussion_id == StrategyDiscussion.id)
        .where(ChildRemoval.child_id == CHILD, scope)).cte("timeline_visible")
    linked = db.select(visible.c.id).where(visible.c.linked)
    return [
        db.select(*columns("discussion", _WHEN, StrategyDiscussion.id, code=StrategyDiscussion.kind,
                           code2=StrategyDiscussion.status, code3=StrategyDiscussion.minutes_status))
        .where(StrategyDiscussion.id.in_(linked)),
        # A child taken off a discussion keeps it on their timeline, with why (the reason is on the discussion page).
        db.select(*columns("removed", ChildRemoval.removed_at, ChildRemoval.id, ref=ChildRemoval.discussion_id))
        .where(ChildRemoval.child_id == CHILD,
               ChildRemoval.discussion_id.in_(db.select(visible.c.id).where(~visible.c.linked))),
        # decisions and actions of every visible discussion (the page's newest may be of discussions not on it)
        db.select(*columns("decision", ThresholdDecision.decided_at, ThresholdDecision.id,
                           ref=ThresholdDecision.discussion_id, code=ThresholdDecision.outcome,
                           day=ThresholdDecision.icpc_due_on))
        .where(ThresholdDecision.child_id == CHILD, ThresholdDecision.discussion_id.in_(linked)),
        db.select(*columns("action", AgreedAction.created_at, AgreedAction.id, code=AgreedAction.status,
                           code2=User.name, words=func.substr(AgreedAction.description, 1, 120)))
        .select_from(AgreedAction).join(User, User.id == AgreedAction.owner_id)
        .where(AgreedAction.discussion_id.in_(linked),
               (AgreedAction.child_id == CHILD) | AgreedAction.child_id.is_(None)),
    ]


def timeline_entry(row, child) -> TimelineEntry:
    if row.source == "discussion":
        status, minutes = row.code2, row.code3
        detail = STATUSES.get(status, status) if status != "decided" else MINUTES_STATUSES.get(minutes, minutes)
        return TimelineEntry(at=row.at, kind="Strategy discussion",
                             title=f"{'Review' if row.code == 'review' else 'Initial'} strategy discussion",
                             detail=detail, url=f"/discussions/{row.record_id}")
    if row.source == "removed":
        return TimelineEntry(at=row.at, kind="Strategy discussion", title="Removed from a strategy discussion",
                             detail="The reason is recorded on the discussion",
                             url=f"/discussions/{row.ref}#removed-children")
    if row.source == "decision":
        return TimelineEntry(at=row.at, kind="Decision", title=OUTCOMES.get(row.code, row.code),
                             detail=f"ICPC due by {row.day.strftime('%-d %B %Y')}" if row.day else "",
                             url=f"/discussions/{row.ref}#decision-{child.id}")
    return TimelineEntry(at=row.at, kind="Agreed action", title=row.words,
                         detail=f"{ACTION_STATUSES.get(row.code, row.code)}; owner {row.code2}",
                         url=f"/discussions/actions/{row.record_id}")
