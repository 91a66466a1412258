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
    "missing.record": frozenset({PRACTITIONER, MANAGER, MASH}),
    "difference.raise": CASE_ROLES,
}

_PUBLIC_ENDPOINTS: set[str] = {"static"}


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (sign-in page, health check, error pages)."""
    _PUBLIC_ENDPOINTS.add(f"{view.__module__}:{view.__name__}")
    view._public = True  # type: ignore[attr-defined]
    return view


def is_public_view(view: Callable | None, endpoint: str | None) -> bool:
    return endpoint in _PUBLIC_ENDPOINTS or bool(getattr(view, "_public", False))


def can(user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS.get(action, frozenset())


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


def can_change_action(user, action) -> bool:
    """Only the owner, the discussion's chair, MASH staff and managers may change an agreed action."""
    if not can(user, "case.view"):
        return False
    return (user.id == action.owner_id or user.id == action.discussion.chair_id or _sees_all_cases(user))
