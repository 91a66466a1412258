"""An administrator creates an account without knowing its password: the person is emailed a link that works once,
for SET_PASSWORD_LINK_HOURS, to choose their own; they then sign in with it and their code as usual."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role, RoleRequest, User
from safeguarding.extensions import db
from safeguarding.reminders.models import OutboundEmail

from .conftest import PASSWORD
from .pages import PageClient

CHOSEN = "quiet-harbour-kettle-19"


@pytest.fixture
def app(app_factory):
    return app_factory(MFA_REQUIRED=True, RATELIMIT_ENABLED=False)


def _link_path(email: str) -> str:
    row = db.session.execute(db.select(OutboundEmail).where(OutboundEmail.to_address == email)
                             .order_by(OutboundEmail.id.desc())).scalars().first()
    return re.search(r"http://localhost(/set-password/\S+)", row.body).group(1)


def _new_user_by_link(admin_client, second_client, agencies) -> User:
    """Created by one administrator, approved by another: the approval emails the link."""
    admin_client.post_form("/admin/users/new", {
        "name": "Nina Nurse", "email": "nina@example.org", "agency_id": agencies["health"].id,
        "job_title": "School nurse", "role": "practitioner", "line_manager_id": 0})
    request = db.session.execute(db.select(RoleRequest)).scalar_one()
    second_client.post_form(f"/admin/role-requests/{request.id}", {
        f"r{request.id}-decision": "approve", f"r{request.id}-version": str(request.version)},
        form_url="/admin/role-requests")
    return db.session.execute(db.select(User).where(User.email == "nina@example.org")).scalar_one()


def _choose(client, path, password=CHOSEN, expected=302):
    return client.post_form(path, {"new_password": password, "confirm_password": password}, expected=expected)


def test_a_new_person_chooses_their_own_password_once_and_still_needs_a_code(app, make_user, agencies):
    admin, second = make_user(Role.ADMIN, "csc"), make_user(Role.ADMIN, "csc")
    admin_client, second_client = PageClient(app.test_client()), PageClient(app.test_client())
    app.config["MFA_REQUIRED"] = False  # the administrators' own sign-in is not what this test is about
    admin_client.sign_in(admin.email, PASSWORD)
    second_client.sign_in(second.email, PASSWORD)
    app.config["MFA_REQUIRED"] = True
    nina = _new_user_by_link(admin_client, second_client, agencies)
    assert "emailed a link to choose their password" in second_client.get("/admin/users")

    email = db.session.execute(db.select(OutboundEmail).where(OutboundEmail.to_address == nina.email)).scalar_one()
    assert email.recipient_id == nina.id and "works once, for 72 hours" in email.body
    path = _link_path(nina.email)

    person = PageClient(app.test_client())
    page = _choose(person, path, "short", expected=200)  # a weak password: the link still works afterwards
    assert page.title.startswith("Error:")
    _choose(person, path)
    assert "This link does not work" in person.get(path, expected=404)  # used
    step = person.sign_in(nina.email, CHOSEN)
    assert step.response.headers["Location"].endswith("/sign-in/set-up-code")  # the link never skips the code

    actions = [e.action for e in db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == nina.id).order_by(AuditEvent.id)).scalars()]
    assert actions[:3] == ["create", "new_account_requested", "new_account_approved"]
    assert actions[3:5] == ["set_password_link_sent", "password_set_by_link"]
    assert not db.session.get(User, nina.id).must_change_password


def test_a_link_expires_and_a_forged_one_opens_nothing(app, make_user):
    admin = make_user(Role.ADMIN, "csc")
    worker = make_user(Role.PRACTITIONER, "csc")
    from safeguarding.auth import set_password

    with app.test_request_context():
        set_password.send_link(worker, actor=admin)
    db.session.commit()
    path = _link_path(worker.email)
    client = PageClient(app.test_client())
    with time_machine.travel(clock.now() + timedelta(hours=73), tick=False):
        assert "This link does not work" in client.get(path, expected=404)
    assert client.get(path[:-3] + "abc", expected=404)
    assert client.get("/set-password/" + "x" * 5000, expected=404)
    assert client.get(path).status == 200  # within its time, unused


def test_an_emailed_link_replaces_the_old_password_when_used(app, make_user, agencies):
    admin_client = PageClient(app.test_client())
    admin = make_user(Role.ADMIN, "csc")
    worker = make_user(Role.PRACTITIONER, "csc")
    app.config["MFA_REQUIRED"] = False
    admin_client.sign_in(admin.email, PASSWORD)
    admin_client.post_form(f"/admin/users/{worker.id}/password-link", {})
    assert "emailed a link to choose a new password" in admin_client.get("/admin/users")
    old = PageClient(app.test_client())
    old.sign_in(worker.email, PASSWORD)  # the old password works until the link is used
    _choose(PageClient(app.test_client()), _link_path(worker.email))
    assert old.get("/home", expected=302)  # signed out everywhere
    PageClient(app.test_client()).sign_in(worker.email, PASSWORD, expected=200)
    PageClient(app.test_client()).sign_in(worker.email, CHOSEN)
