"""Signing in takes a password and a code from an authenticator app (or a single-use recovery code)."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth import services
from safeguarding.auth.models import Role, RoleRequest, User
from safeguarding.extensions import db

from .conftest import PASSWORD
from .pages import PageClient


@pytest.fixture
def app(app_factory):
    return app_factory(MFA_REQUIRED=True, RATELIMIT_ENABLED=False)


def _code(user_id, seconds=0):
    secret = db.session.get(User, user_id).mfa_secret
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=seconds))


def _password_step(app, user, expected_next):
    client = PageClient(app.test_client())
    page = client.sign_in(user.email, PASSWORD)
    assert page.response.headers["Location"].endswith(expected_next)
    return client


def _enrol(app, user):
    client = _password_step(app, user, "/sign-in/set-up-code")
    setup = client.get("/sign-in/set-up-code")
    assert 'src="data:image/svg+xml' in setup.html and db.session.get(User, user.id).mfa_secret in setup
    page = client.post_form("/sign-in/set-up-code", {"code": _code(user.id)}, expected=200)
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6})</code>", page.html)
    assert len(codes) == 10
    return client, codes


def test_first_sign_in_sets_up_codes_and_gives_recovery_codes_once(app, make_user):
    user = make_user(Role.MASH, "csc")
    client, codes = _enrol(app, user)
    assert client.get("/home").status == 200
    assert codes[0] not in client.get("/account")  # shown once, at set-up
    assert db.session.get(User, user.id).mfa_enrolled_at is not None


def test_half_signed_in_reaches_nothing_and_a_wrong_code_is_refused(app, make_user):
    user = make_user(Role.MASH, "csc")
    _enrol(app, user)
    with time_machine.travel(clock.now() + timedelta(minutes=2), tick=False):
        client = _password_step(app, user, "/sign-in/code")
        assert client.get("/home", expected=302).response.headers["Location"].startswith("/sign-in")
        page = client.post_form("/sign-in/code", {"code": "000000"}, expected=200)
        assert "Enter the code your authenticator app shows now" in page
        client.post_form("/sign-in/code", {"code": _code(user.id)})
        assert client.get("/home").status == 200


def test_a_code_works_once(app, make_user):
    user = make_user(Role.MASH, "csc")
    # the clock held still: a 30-second step ending between enrolling and replaying would make a fresh code
    with time_machine.travel(clock.now(), tick=False):
        _enrol(app, user)
        used_at_enrolment = _code(user.id)
        client = _password_step(app, user, "/sign-in/code")
        client.post_form("/sign-in/code", {"code": used_at_enrolment}, expected=200)  # same 30 seconds: replay refused
        assert client.get("/home", expected=302)


def test_a_recovery_code_works_once(app, make_user):
    user = make_user(Role.MASH, "csc")
    _, codes = _enrol(app, user)
    first = _password_step(app, user, "/sign-in/code")
    first.post_form("/sign-in/code", {"code": codes[3]})
    assert first.get("/home").status == 200
    again = _password_step(app, user, "/sign-in/code")
    again.post_form("/sign-in/code", {"code": codes[3]}, expected=200)
    used = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "mfa_recovery_code_used")).scalars()
    assert [e.object_id for e in used] == [user.id]


def test_guessing_codes_locks_the_account_like_wrong_passwords(app, make_user):
    user = make_user(Role.MASH, "csc")
    _enrol(app, user)
    client = _password_step(app, user, "/sign-in/code")
    for n in range(services.LOCK_AFTER_FAILURES):
        client.post_form("/sign-in/code", {"code": f"{n:06d}"}, expected=200)
    assert db.session.get(User, user.id).locked_until is not None
    # the right password is now refused too, as for a locked account
    refused = PageClient(app.test_client()).sign_in(user.email, PASSWORD, expected=200)
    assert refused.title.startswith("Error: Sign in")


def test_two_administrators_reset_codes_and_the_person_sets_up_again(app, make_user, signed_in):
    user = make_user(Role.PRACTITIONER, "csc")
    _enrol(app, user)
    admin = make_user(Role.ADMIN, "csc")
    admin_client, _ = _enrol(app, admin)
    second = make_user(Role.ADMIN, "csc")
    second_client, _ = _enrol(app, second)
    admin_client.post_form(f"/admin/users/{user.id}/sign-in-codes", {})
    assert db.session.get(User, user.id).mfa_secret is not None  # a case role: a second administrator approves
    request_id = db.session.execute(db.select(RoleRequest.id)).scalar_one()
    second_client.post_form(f"/admin/role-requests/{request_id}", {
        f"r{request_id}-decision": "approve", f"r{request_id}-version": "1"}, form_url="/admin/role-requests")
    db.session.expire_all()
    assert db.session.get(User, user.id).mfa_secret is None
    client = _password_step(app, user, "/sign-in/set-up-code")
    assert "Your administrator reset your sign-in codes" in client.get("/sign-in/set-up-code")
    reset = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "mfa_reset")).scalar_one()
    assert (reset.object_id, reset.user_id) == (user.id, second.id)


def test_another_administrators_codes_wait_for_a_third_administrator(app, make_user):
    """Whoever resets an administrator's codes could sign in as them and approve their own requests."""
    colleague = make_user(Role.ADMIN, "csc")
    _enrol(app, colleague)
    admin = make_user(Role.ADMIN, "csc")
    admin_client, _ = _enrol(app, admin)
    admin_client.post_form(f"/admin/users/{colleague.id}/sign-in-codes", {})
    assert db.session.get(User, colleague.id).mfa_secret is not None
    assert db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "mfa_reset")).first() is None


def _readme_demo_key() -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    return re.search(r"\*\*demo key\*\*,\s*`([A-Z2-7]{16,})`", readme).group(1)


def test_demo_users_sign_in_with_a_phone_set_up_from_the_readme(app, runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-lantern-harbour-3")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    phone = pyotp.TOTP(_readme_demo_key())
    for email in ("mash@example.org", "admin@example.org"):
        client = PageClient(app.test_client())
        client.sign_in(email, "demo-lantern-harbour-3")
        client.post_form("/sign-in/code", {"code": phone.at(clock.now())})
        assert client.get("/home").status == 200


def test_production_configuration_refuses_the_demo_key(app_factory, runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-lantern-harbour-3")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # a demo database later run as production
    app = app_factory(MFA_REQUIRED=True, RATELIMIT_ENABLED=False, DEMO_TOTP_SECRET_ALLOWED=False)
    client = PageClient(app.test_client())
    client.sign_in("mash@example.org", "demo-lantern-harbour-3")
    page = client.post_form("/sign-in/code", {"code": pyotp.TOTP(_readme_demo_key()).at(clock.now())}, expected=200)
    assert "demo sign-in key" in page and "Ask your administrator to reset your sign-in codes" in page
    assert client.get("/home", expected=302)
    user = services.find_user_by_email("mash@example.org")
    assert db.session.execute(db.select(AuditEvent).where(
        AuditEvent.action == "mfa_demo_secret_refused", AuditEvent.object_id == user.id)).scalar_one()

    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "production" in refused.output
