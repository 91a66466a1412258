"""No administrator alone takes over the account of someone with a case role (and so reads children's records): a
new email address (where sign-in and password links go) and a reset of sign-in codes wait for a second
administrator, and no administrator types such a person's password. Administrators' own accounts keep working as
before."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth import duties
from safeguarding.auth.models import Role, RoleRequest, User
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification, OutboundEmail

from .conftest import PASSWORD
from .pages import PageClient

ATTACKER = "somebody.else@example.net"


def _edit(client, user, expected=302, **changes):
    form = {"name": user.name, "email": user.email, "agency_id": str(user.agency_id), "job_title": user.job_title,
            "role": user.role, "line_manager_id": str(user.line_manager_id or 0), **changes}
    return client.post_form(f"/admin/users/{user.id}", form, expected=expected)


def _decide(client, request_id, decision, version=None, expected=302):
    row = db.session.get(RoleRequest, request_id)
    db.session.refresh(row)
    return client.post_form(f"/admin/role-requests/{request_id}", {
        f"r{request_id}-decision": decision, f"r{request_id}-version": str(version or row.version)},
        form_url="/admin/role-requests", expected=expected)


def _fresh(user_id) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _only_request() -> RoleRequest:
    return db.session.execute(db.select(RoleRequest)).scalar_one()


def _events(action):
    return db.session.execute(db.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars().all()


def _sent_to(address):
    return db.session.execute(db.select(OutboundEmail).where(OutboundEmail.to_address == address)).scalars().all()


def test_a_social_workers_new_email_waits_for_a_second_administrator(signed_in, make_user):
    alex_client, alex = signed_in(Role.ADMIN)
    sam_client, sam = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "csc", email="sw@example.org")
    own_email = worker.email

    _edit(alex_client, worker, email=ATTACKER, job_title="Senior social worker")
    assert "Changing their email address to somebody.else@example.net needs a second administrator" in \
        alex_client.get("/admin/users")
    worker = _fresh(worker.id)
    assert worker.email == own_email and worker.job_title == "Senior social worker"  # the rest is saved
    form = alex_client.get(f"/admin/users/{worker.id}")
    assert "waiting for a second administrator" in form and f'value="{own_email}"' in form.html

    # the administrator who asked cannot approve it, even with a form built by hand
    request = _only_request()
    assert "Waiting for another administrator to decide" in alex_client.get("/admin/role-requests")
    _decide(alex_client, request.id, "approve")
    assert "You asked for this change" in alex_client.get("/admin/role-requests")
    assert _fresh(worker.id).email == own_email
    refusal = _events("authz_fail")[-1]
    assert (refusal.object_type, refusal.object_id, refusal.user_id) == ("role_request", request.id, alex.id)
    # the account cannot be signed in to through the new address
    PageClient(alex_client.client.application.test_client()).sign_in(ATTACKER, PASSWORD, expected=200)

    _decide(sam_client, request.id, "approve")
    assert "Change of email address for" in sam_client.get("/admin/role-requests")
    assert _fresh(worker.id).email == ATTACKER
    asked, approved = _events("email_change_requested"), _events("email_change_approved")
    assert [(e.user_id, e.changes["email"]["to"]) for e in asked] == [(alex.id, ATTACKER)]
    assert [(e.user_id, e.object_id) for e in approved] == [(sam.id, worker.id)]
    assert f"asked by user {alex.id}" in approved[0].detail
    assert _events("update")[-1].user_id == sam.id


def test_the_other_administrators_are_told_and_a_third_rejects(signed_in, make_user):
    alex_client, alex = signed_in(Role.ADMIN)
    cal_client, cal = signed_in(Role.ADMIN)
    worker = make_user(Role.MANAGER, "police")
    _edit(alex_client, worker, email=ATTACKER)
    told = db.session.execute(db.select(Notification.recipient_id, Notification.title)
                              .where(Notification.kind == "role_request")).all()
    assert told == [(cal.id, "A change of email address needs a second administrator's approval")]
    assert "1 waiting" in cal_client.get("/admin/")
    _decide(cal_client, _only_request().id, "reject")
    assert _fresh(worker.id).email != ATTACKER
    assert [e.user_id for e in _events("email_change_rejected")] == [cal.id]
    assert "Rejected by" in cal_client.get("/admin/role-requests")
    assert "1 waiting" not in cal_client.get("/admin/")


def test_a_password_link_never_goes_to_an_address_still_waiting_for_approval(signed_in, make_user):
    alex_client, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.MASH, "csc", email="mash.worker@example.org")
    _edit(alex_client, worker, email=ATTACKER)
    confirm = alex_client.get(f"/admin/users/{worker.id}/password-link")
    assert "the link goes to mash.worker@example.org, never to the new address" in confirm
    alex_client.post_form(f"/admin/users/{worker.id}/password-link", {})
    assert _sent_to(ATTACKER) == [] and len(_sent_to("mash.worker@example.org")) == 1


def test_sign_in_codes_are_reset_only_when_a_second_administrator_approves(signed_in, make_user):
    alex_client, alex = signed_in(Role.ADMIN)
    sam_client, sam = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "police")
    worker.mfa_secret, worker.mfa_enrolled_at = "JBSWY3DPEHPK3PXP", clock.now()
    db.session.commit()
    page = alex_client.get(f"/admin/users/{worker.id}/sign-in-codes")
    assert "a second administrator must approve the reset" in page
    alex_client.post_form(f"/admin/users/{worker.id}/sign-in-codes", {})
    alex_client.post_form(f"/admin/users/{worker.id}/sign-in-codes", {})  # sent again: still one request
    assert "Their codes keep working until it is approved" in alex_client.get("/admin/users")
    assert _fresh(worker.id).mfa_secret == "JBSWY3DPEHPK3PXP" and _events("mfa_reset") == []
    assert "waiting for a" in alex_client.get(f"/admin/users/{worker.id}/sign-in-codes")

    request = _only_request()
    _decide(alex_client, request.id, "approve")
    assert _fresh(worker.id).mfa_secret is not None
    _decide(sam_client, request.id, "approve")
    assert _fresh(worker.id).mfa_secret is None
    assert [e.user_id for e in _events("sign_in_codes_reset_requested")] == [alex.id]
    assert [e.user_id for e in _events("sign_in_codes_reset_approved")] == [sam.id]
    assert [(e.object_id, e.user_id) for e in _events("mfa_reset")] == [(worker.id, sam.id)]


def test_no_administrator_types_the_password_of_someone_with_a_case_role(signed_in, make_user):
    alex_client, alex = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "csc")
    page = alex_client.get(f"/admin/users/{worker.id}/password")
    assert "Email them a password link instead" in page and 'name="password"' not in page.html
    before = _fresh(worker.id).password_hash
    form = alex_client.get(f"/admin/users/{worker.id}/password")
    alex_client.post(f"/admin/users/{worker.id}/password", {"csrf_token": form.csrf(),
                                                            "password": "violet-orchard-lantern-77"}, expected=400)
    assert _fresh(worker.id).password_hash == before
    assert [(e.object_id, e.user_id) for e in _events("authz_fail")] == [(worker.id, alex.id)]


def test_another_administrators_account_is_guarded_too(app, signed_in, make_user):
    """An administrator who took over a colleague's account would be the "second administrator" for their own
    requests: a colleague's email, codes and password are guarded as a case role's are."""
    alex_client, alex = signed_in(Role.ADMIN)
    bea_client, bea = signed_in(Role.ADMIN)
    colleague = make_user(Role.ADMIN, "csc")
    _edit(alex_client, colleague, email=ATTACKER)
    assert _fresh(colleague.id).email != ATTACKER
    assert "Email them a password link instead" in alex_client.get(f"/admin/users/{colleague.id}/password")
    alex_client.post_form(f"/admin/users/{colleague.id}/password", {"password": "violet-orchard-lantern-77"},
                          expected=400)
    _decide(bea_client, _only_request().id, "approve")  # a third administrator: neither asked nor is it about
    assert _fresh(colleague.id).email == ATTACKER
    # their own address too: nobody else's approval, nobody's account changes
    _edit(alex_client, alex, email="alex.new@example.org")
    assert _fresh(alex.id).email != "alex.new@example.org"


def test_an_administrator_waiting_for_a_case_role_is_guarded_too(signed_in):
    alex_client, _ = signed_in(Role.ADMIN)
    bea_client, bea = signed_in(Role.ADMIN)
    _edit(alex_client, bea, role="manager", email=ATTACKER)  # both at once: both wait
    assert _fresh(bea.id).email != ATTACKER
    kinds = sorted(db.session.execute(db.select(RoleRequest.kind)).scalars())
    assert kinds == ["email", "role"]
    assert "Email them a password link instead" in alex_client.get(f"/admin/users/{bea.id}/password")
    email = db.session.execute(db.select(RoleRequest).where(RoleRequest.kind == "email")).scalar_one()
    _decide(bea_client, email.id, "approve")  # the person it is about
    assert "This change is to your own account" in bea_client.get("/admin/role-requests")
    assert _fresh(bea.id).email != ATTACKER


def test_asking_twice_is_one_request_and_a_different_address_must_wait(signed_in, make_user):
    alex_client, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "csc")
    _edit(alex_client, worker, email=ATTACKER)
    _edit(alex_client, worker, email=ATTACKER.upper())  # the form sent again
    assert len(db.session.execute(db.select(RoleRequest)).all()) == 1
    page = _edit(alex_client, worker, email="third@example.org", expected=200)
    assert "is already waiting for another administrator" in page
    taken = make_user(Role.MASH, "csc", email="taken@example.org")
    page = _edit(alex_client, worker, email=taken.email, expected=200)
    assert "A user with this email address already exists" in page


def test_a_double_click_a_stale_page_and_a_clash_on_approval_are_harmless(signed_in, make_user):
    alex_client, _ = signed_in(Role.ADMIN)
    sam_client, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "csc")
    _edit(alex_client, worker, email=ATTACKER)
    request = _only_request()
    _decide(sam_client, request.id, "approve", version=request.version + 3)
    assert "changed after you opened this page" in sam_client.get("/admin/role-requests")
    assert _fresh(worker.id).email != ATTACKER

    make_user(Role.MASH, "csc", email=ATTACKER)  # someone else was given that address meanwhile
    _decide(sam_client, request.id, "approve")
    assert "A user with this email address already exists" in sam_client.get("/admin/role-requests")
    assert _fresh(worker.id).email != ATTACKER

    _decide(sam_client, request.id, "reject")
    _decide(sam_client, request.id, "reject")  # a double click
    assert "was already rejected" in sam_client.get("/admin/role-requests")
    assert len(_events("email_change_rejected")) == 1


def test_a_request_nobody_decides_lapses_after_seven_days(app, signed_in, make_user):
    alex_client, alex = signed_in(Role.ADMIN)
    sam = make_user(Role.ADMIN, "csc")
    worker = make_user(Role.PRACTITIONER, "csc")
    _edit(alex_client, worker, email=ATTACKER)
    request = _only_request()
    with time_machine.travel(clock.now() + timedelta(days=7, minutes=1), tick=False):
        sam_client, alex_client = PageClient(app.test_client()), PageClient(app.test_client())
        sam_client.sign_in(sam.email, PASSWORD)
        alex_client.sign_in(alex.email, PASSWORD)
        listing = sam_client.get("/admin/role-requests")
        assert "Nothing is waiting for approval" in listing and "nobody decided it" in listing
        _decide(sam_client, request.id, "approve", version=request.version)
        assert "lapsed: nobody decided it within 7 days" in sam_client.get("/admin/role-requests")
        assert _fresh(worker.id).email != ATTACKER
        assert len(_events("email_change_lapsed")) == 1
        _edit(alex_client, worker, email=ATTACKER)  # asked again: a new request
        statuses = sorted(db.session.execute(db.select(RoleRequest.status)).scalars())
        assert statuses == ["lapsed", "pending"]


def test_bad_decisions_are_refused_without_an_error(signed_in, make_user):
    alex_client, _ = signed_in(Role.ADMIN)
    sam_client, _ = signed_in(Role.ADMIN)
    worker = make_user(Role.PRACTITIONER, "csc")
    _edit(alex_client, worker, email=ATTACKER)
    request = _only_request()
    for decision, version in (("approve!", None), ("", None), ("approve", "x"), ("approve", "9" * 40)):
        page = sam_client.get("/admin/role-requests")
        response = sam_client.request("POST", f"/admin/role-requests/{request.id}", data={
            "csrf_token": page.csrf(), f"r{request.id}-decision": decision,
            f"r{request.id}-version": version or str(request.version)})
        assert response.status_code in (302, 400)
    assert _fresh(worker.id).email != ATTACKER
    sam_client.post(f"/admin/role-requests/{2**40}", {"csrf_token": page.csrf()}, expected=404)


def test_which_accounts_need_a_second_administrator_to_change_how_they_sign_in():
    assert duties.guards_sign_in("practitioner") and duties.guards_sign_in("mash") and duties.guards_sign_in("manager")
    assert duties.guards_sign_in("admin")  # an administrator approves what gives case access
    assert duties.guards_sign_in("admin", pending_role="manager")


def test_with_two_administrators_the_operators_reset_one_administrators_codes_at_the_command_line(
        app, signed_in, runner):
    alex_client, alex = signed_in(Role.ADMIN)
    sam_client, sam = signed_in(Role.ADMIN)
    alex.mfa_secret, alex.mfa_enrolled_at = "JBSWY3DPEHPK3PXP", clock.now()
    db.session.commit()
    # Alex lost their phone; Sam asks, and nobody in the app may approve it (Sam asked, Alex is the person)
    sam_client.post_form(f"/admin/users/{alex.id}/sign-in-codes", {})
    assert "cannot be decided by any other active" in sam_client.get("/admin/role-requests")
    refused = runner.invoke(args=["reset-sign-in-codes", "nobody@example.org", "--reason", "Phone lost"])
    assert refused.exit_code != 0 and "No account with the email address nobody@example.org" in refused.output
    assert runner.invoke(args=["reset-sign-in-codes", alex.email, "--reason", "   "]).exit_code != 0
    assert _fresh(alex.id).mfa_secret is not None

    done = runner.invoke(args=["reset-sign-in-codes", alex.email.upper(), "--reason", "Phone lost, desk call 42"])
    assert done.exit_code == 0, done.output
    assert f"Sign-in codes reset for {alex.name}" in done.output
    assert _fresh(alex.id).mfa_secret is None
    alex_client.get("/admin/users", expected=302)  # signed out: they sign in and set up new codes
    [reset] = _events("mfa_reset")
    assert reset.object_id == alex.id and reset.user_id is None  # nobody in the app did it
    assert reset.detail.startswith("at the command line: Phone lost, desk call 42;")
    # the request in the app is over: nothing is left waiting for a decision nobody can make
    assert _only_request().status == "lapsed"
    assert "Nothing is waiting for approval." in sam_client.get("/admin/role-requests")


def test_the_nightly_housekeeping_writes_down_the_requests_that_lapsed(app, signed_in, make_user):
    from safeguarding.reminders import cli

    alex_client, alex = signed_in(Role.ADMIN)
    make_user(Role.ADMIN, "csc")
    worker = make_user(Role.PRACTITIONER, "csc")
    _edit(alex_client, worker, email=ATTACKER)
    request = _only_request()
    with time_machine.travel(clock.now() + timedelta(days=6, hours=23), tick=False):
        cli.run_job(app, "api_keys")
        assert _only_request().status == "pending"  # not yet
    with time_machine.travel(clock.now() + timedelta(days=7, minutes=1), tick=False):
        cli.run_job(app, "api_keys")
        db.session.expire_all()
        lapsed = _only_request()
        assert lapsed.status == "lapsed" and lapsed.decided_at == request.lapses_at and lapsed.decided_by_id is None
        [event] = _events("email_change_lapsed")
        assert event.user_id is None and "not decided within 7 days" in event.detail
        cli.run_job(app, "api_keys")  # again: nothing more
        assert len(_events("email_change_lapsed")) == 1
    assert _fresh(worker.id).email != ATTACKER
