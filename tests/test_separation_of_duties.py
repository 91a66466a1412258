"""Separation of duties: no administrator gives an administrator's account (their own or a colleague's) a case role
on their own say-so; a second administrator, who neither asked nor gains, approves or rejects it."""
from __future__ import annotations

import pytest

from safeguarding.audit.models import AuditEvent
from safeguarding.auth import duties
from safeguarding.auth.models import Role, RoleRequest, User
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification

from .discussion_data import make_child


def _edit(client, user, role, agency_id=None, expected=302):
    return client.post_form(f"/admin/users/{user.id}", {
        "name": user.name, "email": user.email, "agency_id": str(agency_id or user.agency_id),
        "job_title": "Administrator", "role": role, "line_manager_id": "0"}, expected=expected)


def _decide(client, request_id, decision, version=None):
    row = db.session.get(RoleRequest, request_id)
    db.session.refresh(row)
    return client.post_form(f"/admin/role-requests/{request_id}", {
        f"r{request_id}-decision": decision, f"r{request_id}-version": str(version or row.version)},
        form_url="/admin/role-requests")


def _actions(user_id):
    return [e.action for e in db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user_id).order_by(AuditEvent.id)).scalars()]


def _role(user_id):
    return db.session.execute(db.select(User.role).where(User.id == user_id)).scalar_one()


def test_an_administrator_making_themselves_a_manager_waits_for_a_second_administrator(signed_in, agencies):
    alex, admin = signed_in(Role.ADMIN)
    sam, second = signed_in(Role.ADMIN)
    child = make_child()
    _edit(alex, admin, "manager")
    assert "needs a second administrator" in alex.get("/admin/users")
    assert _role(admin.id) == "admin"
    assert alex.get(f"/children/{child.id}", expected=403)  # still no case access

    waiting = db.session.execute(db.select(RoleRequest)).scalar_one()
    listing = alex.get("/admin/role-requests")
    assert "Waiting for another administrator to decide" in listing and "Approve" not in listing
    _decide(alex, waiting.id, "approve")  # a form built by hand: refused all the same
    assert "You asked for this change" in alex.get("/admin/role-requests")
    assert _role(admin.id) == "admin"
    refusal = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "authz_fail",
                                                             AuditEvent.object_type == "role_request")).scalar_one()
    assert refusal.user_id == admin.id

    _decide(sam, waiting.id, "approve")
    assert _role(admin.id) == "manager"
    actions = _actions(admin.id)
    assert [a for a in actions if a.startswith("role_change")] == ["role_change_requested", "role_change_approved"]
    assert actions[-1] == "update"  # the change itself, made by the second administrator
    approved = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "role_change_approved")).scalar_one()
    assert approved.user_id == second.id and approved.changes["role"] == {"from": "admin", "to": "manager"}


def test_a_colleague_given_a_case_role_cannot_approve_it_and_a_third_administrator_rejects(signed_in):
    alex, _ = signed_in(Role.ADMIN)
    bea_client, bea = signed_in(Role.ADMIN)
    cal, third = signed_in(Role.ADMIN)
    _edit(alex, bea, "mash")
    waiting = db.session.execute(db.select(RoleRequest)).scalar_one()
    told = db.session.execute(db.select(Notification.recipient_id).where(
        Notification.kind == "role_request")).scalars().all()
    assert told == [third.id]  # neither the one who asked nor the one who would gain
    assert "A change of role needs a second administrator" in cal.get("/notifications")
    assert "Waiting for another administrator" in bea_client.get("/admin/role-requests")
    _decide(bea_client, waiting.id, "approve")
    assert "This change is to your own account" in bea_client.get("/admin/role-requests")
    assert _role(bea.id) == "admin"

    _decide(cal, waiting.id, "reject")
    assert _role(bea.id) == "admin"
    row = db.session.get(RoleRequest, waiting.id)
    db.session.refresh(row)
    assert (row.status, row.decided_by_id) == ("rejected", third.id)
    assert "Rejected by" in cal.get("/admin/role-requests")


def test_asking_twice_is_one_request_and_deciding_twice_is_one_decision(signed_in):
    alex, _ = signed_in(Role.ADMIN)
    sam, _ = signed_in(Role.ADMIN)
    _, bea = signed_in(Role.ADMIN)
    _edit(alex, bea, "manager")
    _edit(alex, bea, "manager")  # the form sent again
    assert db.session.execute(db.select(db.func.count()).select_from(RoleRequest)).scalar_one() == 1
    page = _edit(alex, bea, "practitioner", expected=200)  # a different change while one waits
    assert "already waiting for another administrator" in page

    waiting = db.session.execute(db.select(RoleRequest)).scalar_one()
    version = waiting.version
    _decide(sam, waiting.id, "approve", version=version)
    _decide(sam, waiting.id, "approve", version=version)  # a double click
    assert "was already approved" in sam.get("/admin/role-requests")
    assert _actions(bea.id).count("role_change_approved") == 1


def test_a_decision_on_an_old_version_of_the_request_is_refused(signed_in):
    alex, _ = signed_in(Role.ADMIN)
    sam, _ = signed_in(Role.ADMIN)
    _, bea = signed_in(Role.ADMIN)
    _edit(alex, bea, "manager")
    waiting = db.session.execute(db.select(RoleRequest)).scalar_one()
    _decide(sam, waiting.id, "approve", version=waiting.version + 7)
    assert "changed after you opened this page" in sam.get("/admin/role-requests")
    assert _role(bea.id) == "admin"


def test_ordinary_changes_of_case_role_need_no_second_administrator(signed_in, make_user):
    alex, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "csc")
    _edit(alex, worker, "manager")
    assert _role(worker.id) == "manager"
    assert db.session.execute(db.select(RoleRequest)).first() is None


@pytest.mark.parametrize("current, new, needs", [
    ("admin", "manager", True), ("admin", "mash", True), ("admin", "practitioner", True),
    ("admin", "admin", False), ("practitioner", "manager", False), ("manager", "admin", False),
])
def test_which_changes_need_a_second_administrator(current, new, needs):
    assert duties.needs_second_administrator(current, new) is needs


def test_who_may_decide():
    assert duties.decision_problem(decider_id=3, decider_role="admin", requested_by_id=1, user_id=2) is None
    assert "You asked" in duties.decision_problem(decider_id=1, decider_role="admin", requested_by_id=1, user_id=2)
    assert "your own account" in duties.decision_problem(decider_id=2, decider_role="admin", requested_by_id=1,
                                                         user_id=2)
    assert "Only an administrator" in duties.decision_problem(decider_id=3, decider_role="manager",
                                                              requested_by_id=1, user_id=2)
