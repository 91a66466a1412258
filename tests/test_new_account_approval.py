"""No administrator alone creates an account someone can sign in to: whoever creates one chooses its email address,
so a new account (made on the Add a user page or by an import) has no password, and no set-password link can be
sent, until a second administrator (neither its creator nor the person) approves it. Approval emails the person
their link; rejection deactivates the account. The command line (the first administrator) needs no approval."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Agency, Role, RoleRequest, User
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification, OutboundEmail

from .conftest import PASSWORD
from .discussion_data import hidden_fields
from .pages import PageClient

NEW_EMAIL = "nina@example.org"
CHOSEN = "quiet-harbour-kettle-19"


def _create(client, agencies, expected=302, **changes):
    return client.post_form("/admin/users/new", {
        "name": "Nina Nurse", "email": NEW_EMAIL, "agency_id": agencies["csc"].id, "job_title": "Social worker",
        "role": "practitioner", "line_manager_id": 0, **changes}, expected=expected)


def _user(email=NEW_EMAIL) -> User:
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one()


def _requests(kind="new_account") -> list[RoleRequest]:
    db.session.expire_all()
    return db.session.execute(db.select(RoleRequest).where(RoleRequest.kind == kind)
                              .order_by(RoleRequest.id)).scalars().all()


def _decide(client, request_id, decision, expected=302):
    row = db.session.get(RoleRequest, request_id)
    db.session.refresh(row)
    return client.post_form(f"/admin/role-requests/{request_id}", {
        f"r{request_id}-decision": decision, f"r{request_id}-version": str(row.version)},
        form_url="/admin/role-requests", expected=expected)


def _sent_to(address) -> list[OutboundEmail]:
    return db.session.execute(db.select(OutboundEmail).where(OutboundEmail.to_address == address)
                              .order_by(OutboundEmail.id)).scalars().all()


def _events(action, object_id=None):
    query = db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if object_id is not None:
        query = query.where(AuditEvent.object_type == "user", AuditEvent.object_id == object_id)
    return db.session.execute(query).scalars().all()


def _link_path(email) -> str:
    return re.search(r"http://localhost(/set-password/\S+)", _sent_to(email)[-1].body).group(1)


def test_a_new_practitioner_waits_for_a_second_administrator_then_chooses_their_password(app, signed_in, agencies):
    alex_client, alex = signed_in(Role.ADMIN)
    sam_client, sam = signed_in(Role.ADMIN)
    form = alex_client.get("/admin/users/new")
    assert 'name="password"' not in form.html and "Initial password" not in form  # nobody types it
    created = _create(alex_client, agencies)
    nina = _user()
    assert created.response.headers["Location"] == f"/admin/users/{nina.id}"
    page = alex_client.get(f"/admin/users/{nina.id}")
    assert "A second administrator must approve the account" in page
    assert "Waiting for a second administrator's approval" in page
    listed = alex_client.get("/admin/users")
    assert "Waiting for a second administrator's approval" in listed
    # no link to offer until it is approved (the page behind it would only refuse)
    assert f'href="/admin/users/{nina.id}/password-link"' not in listed.html

    # nothing is sent, nobody can sign in, and the creator cannot have a link sent
    assert _sent_to(NEW_EMAIL) == []
    PageClient(app.test_client()).sign_in(NEW_EMAIL, PASSWORD, expected=200)
    refusal = alex_client.get(f"/admin/users/{nina.id}/password-link")
    assert "account is waiting for a second administrator's approval" in refusal and "Send the link" not in refusal
    alex_client.post(f"/admin/users/{nina.id}/password-link", {"csrf_token": refusal.csrf()}, expected=400)
    typed = alex_client.get(f"/admin/users/{nina.id}/password")
    assert "emailed a link to choose their password when it is approved" in typed
    assert "a password link" not in typed.html.split('id="not-approved"')[1]  # no button to a refusal
    assert _sent_to(NEW_EMAIL) == []
    assert [(e.user_id, e.detail) for e in _events("authz_fail", nina.id)] == [(alex.id, "password link before "
                                                                                        "approval")]

    # the creator cannot approve it, even with a form built by hand
    request = _requests()[0]
    assert "Waiting for another administrator to decide" in alex_client.get("/admin/role-requests")
    _decide(alex_client, request.id, "approve")
    assert "You created this account" in alex_client.get("/admin/role-requests")
    assert _sent_to(NEW_EMAIL) == []
    told = db.session.execute(db.select(Notification.recipient_id, Notification.title)
                              .where(Notification.kind == "role_request")).all()
    assert told == [(sam.id, "A new account needs a second administrator's approval")]

    listing = sam_client.get("/admin/role-requests")
    assert "A new account: Practitioner, Testshire Children" in listing and NEW_EMAIL in listing
    _decide(sam_client, request.id, "approve")
    assert "New account for Nina Nurse approved: they have been emailed a link" in sam_client.get("/admin/users")
    emails = _sent_to(NEW_EMAIL)
    assert len(emails) == 1 and emails[0].recipient_id == nina.id
    approved = _events("new_account_approved", nina.id)
    assert [e.user_id for e in approved] == [sam.id]
    assert f"asked by user {alex.id}" in approved[0].detail and f"created by user {alex.id}" in approved[0].detail
    assert [e.user_id for e in _events("new_account_requested", nina.id)] == [alex.id]
    assert [e.user_id for e in _events("set_password_link_sent", nina.id)] == [sam.id]
    assert "Waiting for a second administrator" not in sam_client.get("/admin/users")

    person = PageClient(app.test_client())
    person.post_form(_link_path(NEW_EMAIL), {"new_password": CHOSEN, "confirm_password": CHOSEN})
    person.sign_in(NEW_EMAIL, CHOSEN)
    assert person.get("/home").status == 200
    # approved: an administrator may send another link later (a forgotten password)
    alex_client.post_form(f"/admin/users/{nina.id}/password-link", {})
    assert len(_sent_to(NEW_EMAIL)) == 2


def test_with_sign_in_codes_the_approved_person_still_sets_up_a_code(app_factory, make_user, agencies):
    app = app_factory(MFA_REQUIRED=True, RATELIMIT_ENABLED=False)
    alex, sam = make_user(Role.ADMIN, "csc"), make_user(Role.ADMIN, "csc")
    clients = []
    app.config["MFA_REQUIRED"] = False  # the administrators' own sign-in is not what this test is about
    for admin in (alex, sam):
        clients.append(PageClient(app.test_client()))
        clients[-1].sign_in(admin.email, PASSWORD)
    app.config["MFA_REQUIRED"] = True
    _create(clients[0], agencies)
    _decide(clients[1], _requests()[0].id, "approve")
    person = PageClient(app.test_client())
    person.post_form(_link_path(NEW_EMAIL), {"new_password": CHOSEN, "confirm_password": CHOSEN})
    step = person.sign_in(NEW_EMAIL, CHOSEN)
    assert step.response.headers["Location"].endswith("/sign-in/set-up-code")


def test_rejection_deactivates_the_account_and_sends_nothing(app, signed_in, agencies):
    alex_client, _ = signed_in(Role.ADMIN)
    sam_client, sam = signed_in(Role.ADMIN)
    _create(alex_client, agencies, role="admin")
    _decide(sam_client, _requests()[0].id, "reject")
    nina = _user()
    assert not nina.is_active_user and _sent_to(NEW_EMAIL) == []
    assert "the account is deactivated and nobody can sign in" in sam_client.get("/admin/users")
    assert [e.user_id for e in _events("new_account_rejected", nina.id)] == [sam.id]
    deactivated = _events("update", nina.id)[-1]
    assert deactivated.user_id == sam.id and deactivated.changes["is_active_user"]["to"] is False
    # reactivated by someone: still not approved, so still no link and no sign-in
    alex_client.post_form(f"/admin/users/{nina.id}/active", {})
    assert _user().is_active_user
    assert "Not approved" in alex_client.get(f"/admin/users/{nina.id}")
    alex_client.post_form(f"/admin/users/{nina.id}/password-link", {}, expected=400)
    assert _sent_to(NEW_EMAIL) == []


def test_a_request_nobody_decides_lapses_and_can_be_asked_again(app, signed_in, make_user, agencies):
    alex_client, alex = signed_in(Role.ADMIN)
    bea = make_user(Role.ADMIN, "csc")
    _create(alex_client, agencies)
    nina = _user()
    first = _requests()[0]
    with time_machine.travel(clock.now() + timedelta(days=7, minutes=1), tick=False):
        alex_client, bea_client = PageClient(app.test_client()), PageClient(app.test_client())
        alex_client.sign_in(alex.email, PASSWORD)
        bea_client.sign_in(bea.email, PASSWORD)
        _decide(bea_client, first.id, "approve")
        assert "lapsed: nobody decided it within 7 days" in bea_client.get("/admin/role-requests")
        assert _sent_to(NEW_EMAIL) == []
        page = alex_client.get(f"/admin/users/{nina.id}")
        assert "Nobody decided its approval in time" in page
        assert "Not approved: nobody can sign in" in alex_client.get("/admin/users")
        alex_client.post_form(f"/admin/users/{nina.id}/approval", {}, form_url=f"/admin/users/{nina.id}")
        assert "asked for again" in alex_client.get(f"/admin/users/{nina.id}")
        assert [r.status for r in _requests()] == ["lapsed", "pending"]
        _decide(bea_client, _requests()[1].id, "approve")
        assert len(_sent_to(NEW_EMAIL)) == 1


def test_whoever_asks_again_the_creator_never_approves(signed_in, agencies):
    alex_client, alex = signed_in(Role.ADMIN)
    bea_client, bea = signed_in(Role.ADMIN)
    _create(alex_client, agencies)
    nina = _user()
    # an edit of its role before anyone decided: approval is asked again for the account as it is now, by Bea
    bea_client.post_form(f"/admin/users/{nina.id}", {
        "name": nina.name, "email": nina.email, "agency_id": str(agencies["police"].id), "job_title": "Constable",
        "role": "practitioner", "line_manager_id": "0"})
    first, second = _requests()
    assert (first.status, second.status, second.to_agency_id) == ("lapsed", "pending", agencies["police"].id)
    assert "the account changed before anyone decided" in _events("new_account_lapsed", nina.id)[0].detail
    # Bea asked this time, Alex created it: neither may approve
    _decide(alex_client, second.id, "approve")
    assert "You created this account" in alex_client.get("/admin/role-requests")
    _decide(bea_client, second.id, "approve")
    assert "You asked for this change" in bea_client.get("/admin/role-requests")
    assert _sent_to(NEW_EMAIL) == []
    listing = alex_client.get("/admin/role-requests")
    assert "cannot be decided by any other active administrator" in listing
    assert "flask --app app create-user --role admin" in alex_client.get(f"/admin/users/{nina.id}")
    assert (first.requested_by_id, second.requested_by_id) == (alex.id, bea.id)


def test_the_address_of_an_account_not_yet_approved_is_corrected_and_approval_is_asked_for_the_new_one(
        signed_in, agencies):
    alex_client, _ = signed_in(Role.ADMIN)
    sam_client, _ = signed_in(Role.ADMIN)
    _create(alex_client, agencies, email="nina@exmaple.org")  # a typo
    nina = _user("nina@exmaple.org")
    alex_client.post_form(f"/admin/users/{nina.id}", {
        "name": nina.name, "email": NEW_EMAIL, "agency_id": str(nina.agency_id), "job_title": "",
        "role": nina.role, "line_manager_id": "0"})
    assert _user().id == nina.id and _requests("email") == []  # changed at once: nobody can sign in to it yet
    old, new = _requests()
    assert (old.status, new.status, new.to_email) == ("lapsed", "pending", NEW_EMAIL)
    _decide(sam_client, old.id, "approve")
    listing = sam_client.get("/admin/role-requests")
    assert "was asked for again after the account changed" in listing and "Asked for again" in listing
    assert _sent_to(NEW_EMAIL) == []
    _decide(sam_client, new.id, "approve")
    assert len(_sent_to(NEW_EMAIL)) == 1 and _sent_to("nina@exmaple.org") == []


def test_a_sole_administrator_is_told_to_use_the_command_line(signed_in, agencies):
    alex_client, _ = signed_in(Role.ADMIN)
    _create(alex_client, agencies)
    assert "flask --app app create-user --role admin" in alex_client.get("/admin/role-requests")


def test_the_same_form_sent_twice_makes_one_account_and_one_request(signed_in, agencies):
    alex_client, _ = signed_in(Role.ADMIN)
    form = alex_client.get("/admin/users/new")
    data = {"csrf_token": form.csrf(), "submission_key": form.submission_key(), "name": "Nina Nurse",
            "email": NEW_EMAIL, "agency_id": str(agencies["csc"].id), "job_title": "", "role": "mash",
            "line_manager_id": "0"}
    alex_client.post("/admin/users/new", data)
    again = alex_client.post("/admin/users/new", data)
    assert again.response.headers["Location"] == f"/admin/users/{_user().id}"
    assert "already saved" in alex_client.get("/admin/users")
    assert db.session.execute(db.select(db.func.count()).select_from(User).where(User.email == NEW_EMAIL)
                              ).scalar_one() == 1
    assert len(_requests()) == 1


def test_an_import_makes_every_account_wait_and_a_second_administrator_approves_them_all(app, signed_in):
    alex_client, alex = signed_in(Role.ADMIN)
    sam_client, sam = signed_in(Role.ADMIN)
    content = ("name,email,agency,role,job_title,line_manager_email,active\r\n"
               "Ann Manager,ann@example.org,Testshire Children's Social Care,manager,Team manager,,yes\r\n"
               "Bob Worker,bob@example.org,Testshire Children's Social Care,practitioner,,ann@example.org,\r\n"
               "Ash Admin,ash@example.org,Testshire Police,admin,,,\r\n").encode()
    form = alex_client.get("/admin/import/users")
    checked = alex_client.post("/admin/import/users", {"csrf_token": form.csrf(),
                                                       "file": (io.BytesIO(content), "people.csv")},
                               200, content_type="multipart/form-data")
    assert _requests() == []  # the dry run kept nothing
    alex_client.post("/admin/import/users/apply", hidden_fields(checked.html))
    assert len(_requests()) == 3 and {r.requested_by_id for r in _requests()} == {alex.id}
    told = db.session.execute(db.select(Notification.recipient_id).where(Notification.kind == "role_request")
                              ).scalars().all()
    assert told == [sam.id]  # once for the file, not once per person
    assert alex_client.get("/admin/users").html.count("Waiting for a second administrator") == 3
    for email in ("ann@example.org", "ash@example.org"):
        alex_client.post_form(f"/admin/users/{_user(email).id}/password-link", {}, expected=400)
    assert db.session.execute(db.select(OutboundEmail).where(OutboundEmail.purpose == "set_password")).all() == []

    assert "Approve all 3 new accounts" not in alex_client.get("/admin/role-requests")  # the creator
    listing = sam_client.get("/admin/role-requests")
    assert f"Approve all 3 new accounts created by {alex.name}" in listing
    batch = re.search(r'name="requests" value="([^"]+)"', listing.html).group(1)
    sam_client.post("/admin/role-requests/new-accounts", {"csrf_token": listing.csrf(), "requests": batch})
    assert "3 new accounts approved" in sam_client.get("/admin/role-requests")
    assert [r.status for r in _requests()] == ["approved"] * 3
    assert sorted(e.object_id for e in _events("new_account_approved")) == sorted(r.user_id for r in _requests())
    for email in ("ann@example.org", "bob@example.org", "ash@example.org"):
        assert len(_sent_to(email)) == 1
    # the same button again (a double click): nothing more
    sam_client.post("/admin/role-requests/new-accounts", {"csrf_token": listing.csrf(), "requests": batch})
    assert len(_events("new_account_approved")) == 3 and len(_sent_to("ann@example.org")) == 1


def test_approve_all_refuses_the_creator_and_bad_input(signed_in, agencies):
    alex_client, _ = signed_in(Role.ADMIN)
    _, _ = signed_in(Role.ADMIN)
    _create(alex_client, agencies)
    request = _requests()[0]
    page = alex_client.get("/admin/role-requests")
    for value in (f"{request.id}:{request.version}", "", "x:y", "1:" + "9" * 40, ",,,", f"{2**40}:1"):
        alex_client.post("/admin/role-requests/new-accounts", {"csrf_token": page.csrf(), "requests": value})
    assert _requests()[0].status == "pending" and _sent_to(NEW_EMAIL) == []
    assert "Nina Nurse: You created this account" in alex_client.get("/admin/role-requests")
    assert [(e.object_type, e.object_id) for e in _events("authz_fail")] == [("role_request", request.id)]


def test_the_command_line_administrator_needs_no_approval(app, runner, agencies):
    result = runner.invoke(args=["create-user", "--name", "First Admin", "--email", "first@example.org",
                                 "--agency", agencies["csc"].name, "--role", "admin",
                                 "--password", "velvet-otter-station-7"])
    assert result.exit_code == 0, result.output
    assert _requests() == []
    first = PageClient(app.test_client())
    first.sign_in("first@example.org", "velvet-otter-station-7")
    assert first.get("/admin/users").status == 200
    first.post_form(f"/admin/users/{_user('first@example.org').id}/password-link", {})
    assert len(_sent_to("first@example.org")) == 1


@pytest.mark.parametrize("field", ["agency_id", "role"])
def test_bad_input_on_the_new_user_form_is_an_error_not_a_failure(signed_in, agencies, field):
    alex_client, _ = signed_in(Role.ADMIN)
    page = _create(alex_client, agencies, expected=200, **{field: "999999" if field == "agency_id" else "chief"})
    assert page.title.startswith("Error:")
    assert db.session.execute(db.select(User).where(User.email == NEW_EMAIL)).scalar_one_or_none() is None
    assert _requests() == [] and db.session.get(Agency, 999999) is None


def test_a_big_import_is_approved_a_page_at_a_time_or_all_at_once(app, signed_in):
    alex_client, alex = signed_in(Role.ADMIN)
    sam_client, _ = signed_in(Role.ADMIN)
    rows = "".join(f"Person {n:02d},person{n:02d}@example.org,Testshire Children's Social Care,practitioner,,,\r\n"
                   for n in range(45))
    content = ("name,email,agency,role,job_title,line_manager_email,active\r\n" + rows).encode()
    form = alex_client.get("/admin/import/users")
    checked = alex_client.post("/admin/import/users", {"csrf_token": form.csrf(),
                                                       "file": (io.BytesIO(content), "people.csv")},
                               200, content_type="multipart/form-data")
    alex_client.post("/admin/import/users/apply", hidden_fields(checked.html))
    assert len(_requests()) == 45
    first = sam_client.get("/admin/role-requests")
    # a page of them, oldest first, and where the others are; one button still approves every one
    assert first.html.count('class="govuk-summary-card"') == 20
    assert "45 changes are waiting, oldest first: 1 to 20 are shown." in first
    assert "Person 00: new account" in first and "Person 20: new account" not in first
    last = sam_client.get("/admin/role-requests?page=3")
    assert last.html.count('class="govuk-summary-card"') == 5 and "Person 44: new account" in last
    assert "41 to 45 are shown" in last
    assert f"Approve all 45 new accounts created by {alex.name}" in last
    batch = re.search(r'name="requests" value="([^"]+)"', last.html).group(1)
    sam_client.post("/admin/role-requests/new-accounts", {"csrf_token": last.csrf(), "requests": batch})
    assert [r.status for r in _requests()] == ["approved"] * 45
    assert "Nothing is waiting for approval." in sam_client.get("/admin/role-requests")
