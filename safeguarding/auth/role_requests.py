"""Changes of role that need a second administrator (`duties.py`): asked for, then approved or rejected.

Services flush and never commit. Asking twice for the same change is one request (a resubmitted form); a decision
carries the version the decider saw, so two administrators deciding at once cannot both win.
"""
from __future__ import annotations

from sqlalchemy import func, select

from .. import audit
from ..clock import now
from ..extensions import db
from ..service import RuleError, expect_version
from . import duties
from .models import RoleRequest, User

PENDING = "pending"
#: told of each new request (reminders notifies the other administrators); called inside the request's transaction
REQUESTED_HOOKS: list = []


def pending_for(user: User) -> RoleRequest | None:
    return db.session.execute(select(RoleRequest).where(
        RoleRequest.user_id == user.id, RoleRequest.status == PENDING)).scalar_one_or_none()


def pending_count() -> int:
    return db.session.execute(select(func.count()).select_from(RoleRequest)
                              .where(RoleRequest.status == PENDING)).scalar_one()


def listed(limit: int = 50) -> list[RoleRequest]:
    """Waiting requests first (oldest first), then the latest decisions."""
    waiting = db.session.execute(select(RoleRequest).where(RoleRequest.status == PENDING)
                                 .order_by(RoleRequest.requested_at, RoleRequest.id)).scalars().all()
    decided = db.session.execute(select(RoleRequest).where(RoleRequest.status != PENDING)
                                 .order_by(RoleRequest.decided_at.desc(), RoleRequest.id.desc())
                                 .limit(limit)).scalars().all()
    return [*waiting, *decided]


def _changes(request: RoleRequest) -> dict:
    changes = {"role": {"from": request.from_role, "to": request.to_role}}
    if request.to_agency_id != request.from_agency_id:
        changes["agency_id"] = {"from": request.from_agency_id, "to": request.to_agency_id}
    return changes


def request_change(user: User, to_role: str, to_agency_id: int, *, actor) -> RoleRequest:
    """Ask for `user` to become `to_role` in agency `to_agency_id`; nothing about the account changes yet."""
    waiting = pending_for(user)
    if waiting is not None:
        if (waiting.to_role, waiting.to_agency_id) == (to_role, to_agency_id):
            return waiting  # the same change asked for again: still the one request
        raise RuleError(f"A change of role for {user.name} is already waiting for another administrator. It must "
                        "be approved or rejected before you ask for a different one", "role")
    request = RoleRequest(user_id=user.id, from_role=user.role, from_agency_id=user.agency_id, to_role=to_role,
                          to_agency_id=to_agency_id, requested_by_id=actor.id, status=PENDING)
    db.session.add(request)
    db.session.flush()
    audit.record("role_change_requested", "user", user.id, user=actor, changes=_changes(request),
                 detail=f"role request {request.id}")
    db.session.flush()
    for hook in REQUESTED_HOOKS:
        hook(request)
    return request


def _check_decider(request: RoleRequest, actor, expected_version: int | None) -> None:
    expect_version(request, expected_version)
    if request.status != PENDING:
        raise RuleError(f"This request was already {request.status}", "decision")
    problem = duties.decision_problem(decider_id=actor.id, decider_role=actor.role,
                                      requested_by_id=request.requested_by_id, user_id=request.user_id)
    if problem:
        raise RuleError(problem, "decision")


def approve(request: RoleRequest, *, actor, expected_version: int | None) -> None:
    _check_decider(request, actor, expected_version)
    user = request.user
    if (user.role, user.agency_id) != (request.from_role, request.from_agency_id):
        raise RuleError(f"{user.name}'s role or agency has changed since this was asked for: reject it and ask "
                        "again", "decision")
    from . import services

    request.status, request.decided_by_id, request.decided_at = "approved", actor.id, now()
    audit.record("role_change_approved", "user", user.id, user=actor, changes=_changes(request),
                 detail=f"role request {request.id} asked by user {request.requested_by_id}")
    data = audit.snapshot(user, services.USER_FIELDS)
    data.update(role=request.to_role, agency_id=request.to_agency_id)
    services.update_user(user, data, actor=actor, approved=True)
    db.session.flush()


def reject(request: RoleRequest, *, actor, expected_version: int | None) -> None:
    _check_decider(request, actor, expected_version)
    request.status, request.decided_by_id, request.decided_at = "rejected", actor.id, now()
    audit.record("role_change_rejected", "user", request.user_id, user=actor, changes=_changes(request),
                 detail=f"role request {request.id} asked by user {request.requested_by_id}")
    db.session.flush()
