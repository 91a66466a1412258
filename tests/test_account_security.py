"""Sign-in limits per account (from any address), forced password change after an administrator sets one,
administrators who cannot give themselves case access, and the partnership's own name refused as a password."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth import passwords, services
from safeguarding.auth.models import Role, User
from safeguarding.extensions import db

from .conftest import PASSWORD
from .pages import PageClient


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return PageClient(client)


def test_ten_wrong_passwords_from_ten_addresses_lock_the_account_for_fifteen_minutes(app, make_user):
    user = make_user(Role.MASH, "csc")
    for n in range(services.LOCK_AFTER_FAILURES):
        _from(app, f"203.0.113.{n}").sign_in(user.email, f"wrong-guess-number-{n}", expected=200)
    # the right password from a fresh address is refused too, with the same words as a wrong one
    page = _from(app, "198.51.100.7").sign_in(user.email, PASSWORD, expected=200)
    assert page.title.startswith("Error: Sign in") and "Enter a correct email address and password" in page
    locked = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "account_locked")).scalars().all()
    assert [e.object_id for e in locked] == [user.id]
    with time_machine.travel(clock.now() + timedelta(minutes=16), tick=False):
        _from(app, "198.51.100.7").sign_in(user.email, PASSWORD)  # 302: in again after the lock
    assert db.session.get(User, user.id).failed_sign_ins == 0


def test_a_right_password_resets_the_count(app, make_user):
    user = make_user(Role.MASH, "csc")
    for n in range(services.LOCK_AFTER_FAILURES - 1):
        _from(app, "203.0.113.1").sign_in(user.email, f"wrong-guess-number-{n}", expected=200)
    _from(app, "203.0.113.2").sign_in(user.email, PASSWORD)
    assert db.session.get(User, user.id).failed_sign_ins == 0


def test_a_password_an_administrator_set_must_be_changed_before_anything_else(app, signed_in, make_user):
    worker = make_user(Role.ADMIN, "csc")
    chosen = "violet-orchard-lantern-77"
    # from the command line: an administrator in the app never types someone's password (test_takeover.py)
    services.reset_password(worker, chosen)
    db.session.commit()
    client = PageClient(app.test_client())
    client.sign_in(worker.email, chosen)
    home = client.get("/home", expected=302)
    assert home.response.headers["Location"].endswith("/account/password")
    page = client.get("/account/password")
    assert "An administrator set your password" in page
    client.post_form("/account/password", {"current_password": chosen, "new_password": "quiet-harbour-kettle-19",
                                           "confirm_password": "quiet-harbour-kettle-19"})
    assert client.get("/home").status == 200


def test_an_administrator_cannot_change_their_own_role_or_agency_alone(app, signed_in, agencies):
    client, admin = signed_in(Role.ADMIN)
    form = {"name": admin.name, "email": admin.email, "agency_id": str(admin.agency_id), "job_title": "Admin",
            "role": "manager", "line_manager_id": "0", "is_active_user": "y"}
    client.post_form(f"/admin/users/{admin.id}", form)
    assert db.session.get(User, admin.id).role == "admin"  # a request for a second administrator (separation of duties)
    page = client.post_form(f"/admin/users/{admin.id}", {**form, "role": "admin",
                                                         "agency_id": str(agencies["police"].id)}, expected=200)
    assert "You cannot change your own role or agency" in page
    assert db.session.get(User, admin.id).agency_id == agencies["csc"].id


def test_the_partnerships_own_name_with_a_year_is_refused(app):
    app.config["PARTNERSHIP_NAME"] = "Northshire Safeguarding Children Partnership"
    with app.test_request_context():
        assert passwords.password_problem("Northshire-2026!") is not None
        assert passwords.password_problem("northshire lantern orchard") is None  # a word in a passphrase is fine
