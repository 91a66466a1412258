"""Who may see a strategy discussion and what belongs to it; registered with the core at app creation."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import and_, false, or_

from ..auth.access import (
    broken_glass_ids,
    hidden_restricted_ids,
    may_see_cases,
    people_answered_for,
    register_child_link,
    sees_all_cases,
    visible_or_404,
)
from ..auth.models import User
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
    """SQL clause on StrategyDiscussion: MASH staff see all; others if their agency was invited (not merely
    recorded as "not invited"), they (or, for a manager, their agency's staff or team) own one of its agreed
    actions, or they broke glass for one of its children. A discussion about a restricted child is hidden from
    anyone not on that child's list."""
    if not may_see_cases(user):
        return false()
    about_hidden = db.select(DiscussionChild.discussion_id).where(
        DiscussionChild.child_id.in_(hidden_restricted_ids(user)))
    allowed = StrategyDiscussion.id.not_in(about_hidden)
    if sees_all_cases(user):
        return allowed
    glass = db.select(DiscussionChild.discussion_id).where(DiscussionChild.child_id.in_(broken_glass_ids(user)))
    return and_(or_(StrategyDiscussion.id.in_(_involved_discussion_ids(user)), StrategyDiscussion.id.in_(glass)),
                allowed)


def _involved_discussion_ids(user):
    """SELECT of discussions the user's agency was invited to (not merely recorded as "not invited"), or that they
    (or the people they answer for) chair, opened, or own an action of."""
    people = people_answered_for(user)
    invited = db.select(Invitation.discussion_id).where(
        Invitation.agency_id == user.agency_id, Invitation.status != "not_invited")
    owns_action = db.select(AgreedAction.discussion_id).where(AgreedAction.owner_id.in_(people))
    runs = db.select(StrategyDiscussion.id).where(or_(StrategyDiscussion.chair_id.in_(people),
                                                      StrategyDiscussion.created_by_id.in_(people)))
    return invited.union(owns_action, runs)


def _child_in_visible_discussion(user):
    """A child is visible to anyone involved in a discussion about them (break glass and restriction are the
    core's, so they are left out here)."""
    if not may_see_cases(user):
        return false()
    visible = db.select(DiscussionChild.child_id).where(
        DiscussionChild.discussion_id.in_(_involved_discussion_ids(user)))
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
    """Only the owner, the discussion's chair and the owner's managers (line manager, and theirs) may complete,
    cancel or reassign an agreed action: a manager of some other agency, or MASH, may not."""
    if not may_see_cases(user):
        return False
    if user.id in (action.owner_id, action.discussion.chair_id):
        return True
    owner = db.session.get(User, action.owner_id) if action.owner_id else None
    managers = set()
    while owner is not None and owner.line_manager_id and owner.line_manager_id not in managers:
        managers.add(owner.line_manager_id)
        owner = db.session.get(User, owner.line_manager_id)
    return user.id in managers


def register() -> None:
    register_child_link(_child_in_visible_discussion)
