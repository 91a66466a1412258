"""Who may see a strategy discussion and what belongs to it; registered with the core at app creation."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import false, or_, true

from ..auth.access import can, register_child_link, sees_all_cases, visible_or_404
from ..children.models import Child
from ..extensions import db
from .models import (
    AgreedAction,
    DiscussionChild,
    Invitation,
    StrategyDiscussion,
    ThresholdDecision,
)

# --- Row scope: strategy discussions -------------------------------------------------------------------------


def discussion_scope(user):
    """SQL clause on StrategyDiscussion: MASH staff and managers see all; others if their agency was invited
    (not merely recorded as "not invited") or they own one of its agreed actions."""
    if not can(user, "case.view"):
        return false()
    if sees_all_cases(user):
        return true()
    invited = db.select(Invitation.discussion_id).where(
        Invitation.agency_id == user.agency_id, Invitation.status != "not_invited")
    owns_action = db.select(AgreedAction.discussion_id).where(AgreedAction.owner_id == user.id)
    return or_(StrategyDiscussion.id.in_(invited), StrategyDiscussion.id.in_(owns_action))


def _child_in_visible_discussion(user):
    """A child is visible to anyone who may see a discussion about them."""
    visible = (db.select(DiscussionChild.child_id)
               .join(StrategyDiscussion, StrategyDiscussion.id == DiscussionChild.discussion_id)
               .where(discussion_scope(user)))
    return Child.id.in_(visible)


def visible_discussion_or_404(discussion_id: int, *options):
    """The discussion if the signed-in user may see it; otherwise 404 (and an audited refusal)."""
    return visible_or_404(StrategyDiscussion, "strategy_discussion", discussion_id, discussion_scope(current_user),
                          *options)


def _in_visible_discussion_or_404(model, object_type: str, object_id: int, options):
    """A row that belongs to a strategy discussion (via `discussion_id`), if the signed-in user may see that
    discussion; otherwise 404 (audited)."""
    return visible_or_404(model, object_type, object_id, discussion_scope(current_user), *options,
                          join=(StrategyDiscussion, StrategyDiscussion.id == model.discussion_id))


def visible_decision_or_404(decision_id: int, *options):
    return _in_visible_discussion_or_404(ThresholdDecision, "threshold_decision", decision_id, options)


def visible_action_or_404(action_id: int, *options):
    return _in_visible_discussion_or_404(AgreedAction, "agreed_action", action_id, options)


def can_change_action(user, action) -> bool:
    """Only the owner, the discussion's chair, MASH staff and managers may change an agreed action."""
    if not can(user, "case.view"):
        return False
    return (user.id == action.owner_id or user.id == action.discussion.chair_id or sees_all_cases(user))


def register() -> None:
    register_child_link(_child_in_visible_discussion)
