"""The one place that decides what a user may see and do.

A role grants actions (PERMISSIONS); a scope limits rows (functions below, one per kind of record, used by
every list, detail, export and API route). Routes are private unless marked @public; an object the user may
not see is a 404, and every refusal is audited as authz_fail.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import abort, request
from flask_login import current_user
from sqlalchemy import false, or_, true

from .models import Role

MASH, PRACTITIONER, MANAGER, ADMIN = Role.MASH.value, Role.PRACTITIONER.value, Role.MANAGER.value, Role.ADMIN.value
CASE_ROLES = frozenset({MASH, PRACTITIONER, MANAGER})

#: action -> roles that may perform it (row scope is checked separately)
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin.manage": frozenset({ADMIN}),
    "admin.view_operations": frozenset({ADMIN}),
    "case.view": CASE_ROLES,  # children, discussions, actions: subject to row scope
    "child.create": frozenset({MASH, MANAGER, PRACTITIONER}),
    "child.edit": frozenset({MASH, MANAGER, PRACTITIONER}),
    "discussion.convene": frozenset({MASH, MANAGER}),
    "discussion.record": frozenset({MASH, MANAGER}),
    "vague_phrases.manage": frozenset({ADMIN, MANAGER}),
    "audit.view_child": frozenset({MANAGER}),
    "reports.view": frozenset({MANAGER, MASH}),
    "missing.record": frozenset({PRACTITIONER, MANAGER, MASH}),  # episodes, returns, prevention interviews
    "missing.police_protection": frozenset({PRACTITIONER, MANAGER, MASH}),
    "missing.return_interview": frozenset({PRACTITIONER, MANAGER, MASH}),
    "missing.close_return_interview": frozenset({MANAGER}),
    "missing.epo": frozenset({PRACTITIONER, MANAGER, MASH}),
    "missing.prompt": frozenset({MASH, MANAGER}),
    "difference.raise": CASE_ROLES,
    "difference.view": CASE_ROLES,  # subject to difference_scope
    # Reminders: everyone signed in has an inbox; only admins see the scheduler and the rules.
    "notifications.view": frozenset({MASH, PRACTITIONER, MANAGER, ADMIN}),
}

#: actions that are one agency's statutory duty as well as a role's: police record missing episodes and use
#: police powers; the local authority offers return home interviews and applies for emergency protection orders
AGENCY_ACTIONS: dict[str, frozenset[str]] = {
    "missing.record": frozenset({"police"}),
    "missing.police_protection": frozenset({"police"}),
    "missing.return_interview": frozenset({"childrens_social_care"}),
    "missing.close_return_interview": frozenset({"childrens_social_care"}),
    "missing.epo": frozenset({"childrens_social_care"}),
}

#: Flask's own static files; every other public view says so with @public
_PUBLIC_ENDPOINTS = frozenset({"static"})


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (sign-in page, health check)."""
    view._public = True  # type: ignore[attr-defined]
    return view


def is_public_view(view: Callable | None, endpoint: str | None) -> bool:
    return endpoint in _PUBLIC_ENDPOINTS or bool(getattr(view, "_public", False))


def can(user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role not in PERMISSIONS.get(action, frozenset()):
        return False
    agencies = AGENCY_ACTIONS.get(action)
    return agencies is None or (user.agency is not None and user.agency.kind in agencies)


def deny(status: int = 403, object_type: str | None = None, object_id: int | None = None):
    """Refuse, audit the refusal, and stop the request."""
    from ..audit import record
    from ..extensions import db

    record("authz_fail", object_type, object_id, detail=f"{request.method} {request.path}"[:300])
    db.session.commit()
    abort(status)


def require(action: str) -> Callable:
    """Decorator: the signed-in user's role must grant `action`, otherwise 403 (audited)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not can(current_user, action):
                deny(403)
            return view(*args, **kwargs)

        wrapper._requires = action  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _sees_all_cases(user) -> bool:
    """MASH staff and managers have oversight of the partnership's case records."""
    return user.role in (MASH, MANAGER)


# --- Row scope: children -------------------------------------------------------------------------------------
# A practitioner sees a child their agency recorded, or one linked to them by a feature (invited to a discussion
# about the child, owner of an action, involved in a missing episode or a professional difference). Each feature
# adds its link below as a function returning an SQL clause on Child; keep them here so this file stays the one
# place that answers "who may see this child?".


def child_scope(user):
    """SQL clause restricting `Child` rows to those `user` may see."""
    from ..children.models import Child

    if not can(user, "case.view"):
        return false()
    if _sees_all_cases(user):
        return true()
    clauses = [Child.created_by_agency_id == user.agency_id]
    clauses.extend(link(user) for link in CHILD_LINKS)
    return or_(*clauses)


#: functions user -> clause on Child, one per feature that links people to children
CHILD_LINKS: list[Callable] = []


def visible_child_or_404(child_id: int):
    """The child if the signed-in user may see them; otherwise 404 (and an audited refusal)."""
    from ..children.models import Child
    from ..extensions import db

    child = db.session.execute(
        db.select(Child).where(Child.id == child_id, child_scope(current_user))
    ).scalar_one_or_none()
    if child is None:
        deny(404, "child", child_id)
    return child


# --- Missing children and emergency powers ----------------------------------------------------------------------
# The police record episodes and police protection; children's social care must offer every missing child a
# return home interview and is told of every police protection (s46(3)(a)), so it sees every child with either.
# Anyone else sees the episodes of a child they may already see: an education or health practitioner who is not
# involved sees none.


def _missing_child_link(user):
    from sqlalchemy import select

    from ..children.models import Child
    from ..missing.models import EmergencyProtectionOrder, MissingEpisode, PoliceProtection, ReturnInterview, RhiOffer

    clauses = [
        Child.id.in_(select(MissingEpisode.child_id).where(MissingEpisode.recorded_by_agency_id == user.agency_id)),
        Child.id.in_(select(PoliceProtection.child_id).where(
            PoliceProtection.recorded_by_agency_id == user.agency_id)),
        Child.id.in_(select(EmergencyProtectionOrder.child_id).where(
            EmergencyProtectionOrder.recorded_by_agency_id == user.agency_id)),
        Child.id.in_(select(ReturnInterview.child_id).where(ReturnInterview.assigned_to_id == user.id)),
        Child.id.in_(select(ReturnInterview.child_id).join(RhiOffer).where(RhiOffer.offered_by_id == user.id)),
    ]
    if user.agency is not None and user.agency.kind == "childrens_social_care":
        clauses.append(Child.id.in_(select(MissingEpisode.child_id)))
        clauses.append(Child.id.in_(select(PoliceProtection.child_id)))
    return or_(*clauses)


CHILD_LINKS.append(_missing_child_link)


def missing_scope(user, child_id_column):
    """SQL clause on any missing-feature row (by its child_id column): visible when its child is."""
    from sqlalchemy import select

    from ..children.models import Child

    if not can(user, "case.view"):
        return false()
    if _sees_all_cases(user):
        return true()
    return child_id_column.in_(select(Child.id).where(child_scope(user)))

# --- Row scope: professional differences -------------------------------------------------------------------
# A disagreement between professionals is sensitive to them as well as to the child: only the people involved
# (who raised it, who leads or answers at any stage), their line managers, MASH staff and the safeguarding
# partnership business unit (users of an agency whose kind is "safeguarding_partnership") see it.


def is_partnership_business_unit(user) -> bool:
    from .models import AgencyKind

    agency = getattr(user, "agency", None)
    return agency is not None and agency.kind == AgencyKind.SAFEGUARDING_PARTNERSHIP.value


def _involved_difference_ids(user):
    """Ids of differences in which `user`, or someone they line-manage, raised it or leads a stage."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from ..differences.models import DifferenceStage, ProfessionalDifference
    from .models import User

    raiser = aliased(User)
    raising, responding = aliased(User), aliased(User)
    raised = (select(ProfessionalDifference.id)
              .join(raiser, raiser.id == ProfessionalDifference.raised_by_id)
              .where(or_(raiser.id == user.id, raiser.line_manager_id == user.id)))
    staged = (select(DifferenceStage.difference_id)
              .join(raising, raising.id == DifferenceStage.raising_lead_id)
              .join(responding, responding.id == DifferenceStage.responding_lead_id)
              .where(or_(raising.id == user.id, responding.id == user.id,
                         raising.line_manager_id == user.id, responding.line_manager_id == user.id)))
    return raised.union(staged)


def difference_scope(user):
    """SQL clause restricting `ProfessionalDifference` rows to those `user` may see."""
    from ..differences.models import ProfessionalDifference

    if not can(user, "difference.view"):
        return false()
    if user.role == MASH or is_partnership_business_unit(user):
        return true()
    return ProfessionalDifference.id.in_(_involved_difference_ids(user))


def _children_in_my_differences(user):
    """A practitioner involved in a difference about a child (as raiser, lead or their manager) sees the child."""
    from sqlalchemy import select

    from ..children.models import Child
    from ..differences.models import ProfessionalDifference

    return Child.id.in_(select(ProfessionalDifference.child_id).where(difference_scope(user)))


CHILD_LINKS.append(_children_in_my_differences)


def visible_difference_or_404(difference_id: int):
    from ..differences.models import ProfessionalDifference
    from ..extensions import db

    difference = db.session.execute(
        db.select(ProfessionalDifference).where(ProfessionalDifference.id == difference_id,
                                                difference_scope(current_user))
    ).scalar_one_or_none()
    if difference is None:
        deny(404, "professional_difference", difference_id)
    return difference


# --- Row scope: strategy discussions -------------------------------------------------------------------------


def discussion_scope(user):
    """SQL clause on StrategyDiscussion: MASH staff and managers see all; others if their agency was invited
    (not merely recorded as "not invited") or they own one of its agreed actions."""
    from ..discussions.models import AgreedAction, Invitation, StrategyDiscussion
    from ..extensions import db

    if not can(user, "case.view"):
        return false()
    if _sees_all_cases(user):
        return true()
    invited = db.select(Invitation.discussion_id).where(
        Invitation.agency_id == user.agency_id, Invitation.status != "not_invited")
    owns_action = db.select(AgreedAction.discussion_id).where(AgreedAction.owner_id == user.id)
    return or_(StrategyDiscussion.id.in_(invited), StrategyDiscussion.id.in_(owns_action))


def _child_in_visible_discussion(user):
    """A child is visible to anyone who may see a discussion about them."""
    from ..children.models import Child
    from ..discussions.models import DiscussionChild, StrategyDiscussion
    from ..extensions import db

    visible = (db.select(DiscussionChild.child_id)
               .join(StrategyDiscussion, StrategyDiscussion.id == DiscussionChild.discussion_id)
               .where(discussion_scope(user)))
    return Child.id.in_(visible)


CHILD_LINKS.append(_child_in_visible_discussion)


def visible_discussion_or_404(discussion_id: int, *options):
    """The discussion if the signed-in user may see it; otherwise 404 (and an audited refusal)."""
    from ..discussions.models import StrategyDiscussion
    from ..extensions import db

    discussion = db.session.execute(
        db.select(StrategyDiscussion).options(*options)
        .where(StrategyDiscussion.id == discussion_id, discussion_scope(current_user))
    ).scalar_one_or_none()
    if discussion is None:
        deny(404, "strategy_discussion", discussion_id)
    return discussion


def _in_visible_discussion_or_404(model, object_type: str, object_id: int, options):
    """A row that belongs to a strategy discussion (via `discussion_id`), if the signed-in user may see that
    discussion; otherwise 404 (audited)."""
    from ..discussions.models import StrategyDiscussion
    from ..extensions import db

    row = db.session.execute(
        db.select(model).options(*options)
        .join(StrategyDiscussion, StrategyDiscussion.id == model.discussion_id)
        .where(model.id == object_id, discussion_scope(current_user))
    ).scalar_one_or_none()
    if row is None:
        deny(404, object_type, object_id)
    return row


def visible_decision_or_404(decision_id: int, *options):
    from ..discussions.models import ThresholdDecision

    return _in_visible_discussion_or_404(ThresholdDecision, "threshold_decision", decision_id, options)


def visible_action_or_404(action_id: int, *options):
    from ..discussions.models import AgreedAction

    return _in_visible_discussion_or_404(AgreedAction, "agreed_action", action_id, options)


def can_change_action(user, action) -> bool:
    """Only the owner, the discussion's chair, MASH staff and managers may change an agreed action."""
    if not can(user, "case.view"):
        return False
    return (user.id == action.owner_id or user.id == action.discussion.chair_id or _sees_all_cases(user))


# --- Row scope: notifications -----------------------------------------------------------------------------------
def notification_scope(user):
    """A notification is its recipient's alone: not their manager's, not an admin's."""
    from ..reminders.models import Notification

    if not can(user, "notifications.view"):
        return false()
    return Notification.recipient_id == user.id
