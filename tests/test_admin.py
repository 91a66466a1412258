import re

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Agency, Role, RoleRequest, User
from safeguarding.extensions import db
from safeguarding.reminders.models import OutboundEmail

from .conftest import PASSWORD
from .pages import PageClient


def test_admin_creates_a_user_who_can_sign_in_once_a_second_administrator_approves(app, signed_in, agencies):
    admin, _ = signed_in(Role.ADMIN)
    second, _ = signed_in(Role.ADMIN)
    admin.get("/admin/users")
    page = admin.post_form("/admin/users/new", {
        "name": "Nina Nurse", "email": "Nina@Example.org", "agency_id": agencies["health"].id,
        "job_title": "School nurse", "role": "practitioner", "line_manager_id": 0,
    })
    nina = db.session.execute(db.select(User).where(User.email == "nina@example.org")).scalar_one()
    assert page.response.headers["Location"] == f"/admin/users/{nina.id}"
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "user",
                                                           AuditEvent.object_id == nina.id,
                                                           AuditEvent.action == "create")).scalar_one()
    assert event.changes["role"]["to"] == "practitioner"
    assert "password_hash" not in event.changes
    request = db.session.execute(db.select(RoleRequest)).scalar_one()
    second.post_form(f"/admin/role-requests/{request.id}", {
        f"r{request.id}-decision": "approve", f"r{request.id}-version": str(request.version)},
        form_url="/admin/role-requests")
    body = db.session.execute(db.select(OutboundEmail.body).where(OutboundEmail.to_address == "nina@example.org")
                              ).scalar_one()
    person = PageClient(app.test_client())
    person.post_form(re.search(r"http://localhost(/set-password/\S+)", body).group(1),
                     {"new_password": "velvet-otter-station-7", "confirm_password": "velvet-otter-station-7"})
    person.sign_in("nina@example.org", "velvet-otter-station-7")


def test_user_form_errors_keep_what_was_typed(signed_in, agencies, make_user):
    admin, _ = signed_in(Role.ADMIN)
    existing = make_user()
    page = admin.post_form("/admin/users/new", {
        "name": "", "email": "not-an-email", "agency_id": 0, "role": "", "line_manager_id": 0,
        "job_title": "Keep me",
    }, expected=200)
    assert page.title.startswith("Error:")
    for message in ("Enter the person's full name", "Enter an email address in the correct format",
                    "Select a role"):
        assert message in page
    assert 'value="Keep me"' in page.html
    page = admin.post_form("/admin/users/new", {
        "name": "Dup", "email": existing.email, "agency_id": agencies["csc"].id, "role": "mash",
        "line_manager_id": 0,
    }, expected=200)
    assert "A user with this email address already exists" in page


def test_deactivating_a_user_signs_them_out(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER)
    their_browser = PageClient(app.test_client())
    their_browser.sign_in(worker.email, PASSWORD)
    confirm = admin.get(f"/admin/users/{worker.id}/active")
    assert "Deactivate" in confirm
    admin.post_form(f"/admin/users/{worker.id}/active", {})
    assert db.session.get(User, worker.id).is_active_user is False
    their_browser.get("/home", expected=302)


def test_admin_edits_an_agency_with_audit(signed_in, agencies):
    admin, _ = signed_in(Role.ADMIN)
    agency = agencies["education"]
    admin.post_form(f"/admin/agencies/{agency.id}", {"name": "Test Academy Trust", "kind": "education",
                                                      "shared_mailbox": "dsl@trust.example.org", "is_active": "y"})
    assert db.session.get(Agency, agency.id).name == "Test Academy Trust"
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "agency",
                                                           AuditEvent.action == "update")).scalar_one()
    assert event.changes["name"] == {"from": "Test Academy", "to": "Test Academy Trust"}


def test_agency_name_must_be_unique(signed_in, agencies):
    admin, _ = signed_in(Role.ADMIN)
    page = admin.post_form("/admin/agencies/new", {"name": "testshire police", "kind": "police"}, expected=200)
    assert "An agency with this name already exists" in page


def test_admin_sees_no_case_navigation(signed_in):
    admin, _ = signed_in(Role.ADMIN)
    home = admin.get("/home")
    assert "You do not see case records" in home


def test_editing_a_user_without_an_agency_or_with_a_vanished_manager_is_an_error(signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER)
    db.session.commit()
    base = {"name": worker.name, "email": worker.email, "role": "practitioner", "job_title": ""}
    page = admin.post_form(f"/admin/users/{worker.id}", {**base, "agency_id": "0", "line_manager_id": "0"},
                           expected=200)
    assert "Select an agency" in page
    db.session.expire_all()
    assert db.session.get(type(worker), worker.id).agency_id == worker.agency_id
