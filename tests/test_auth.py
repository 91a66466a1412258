from datetime import timedelta

import time_machine
from argon2 import PasswordHasher

from safeguarding.audit.models import AuditEvent
from safeguarding.auth import passwords
from safeguarding.auth.models import Role, UserSession
from safeguarding.extensions import db

from .conftest import PASSWORD
from .pages import PageClient

GENERIC = "Enter a correct email address and password"


def _events(action):
    return db.session.execute(db.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_sign_in_reaches_home_and_is_audited(client, make_user):
    user = make_user(Role.MASH, name="Sam Patel")
    page = client.sign_in(user.email, PASSWORD)
    assert page.response.headers["Location"] == "/home"
    home = client.get("/home")
    assert "Welcome, Sam Patel" in home
    assert [e.user_id for e in _events("sign_in")] == [user.id]


def test_email_is_case_insensitive(client, make_user):
    user = make_user()
    client.sign_in(user.email.upper(), PASSWORD)
    client.get("/home")


def test_wrong_password_and_unknown_email_give_the_same_message(client, make_user):
    user = make_user()
    wrong = client.sign_in(user.email, PASSWORD + "x", expected=200)
    unknown = client.sign_in("nobody@example.org", PASSWORD, expected=200)
    assert GENERIC in wrong and GENERIC in unknown
    assert wrong.title == unknown.title == "Error: Sign in – Strategy Discussion Coordinator"
    assert len(_events("sign_in_failed")) == 2
    client.get("/home", expected=302)


def test_case_change_of_password_fails(client, make_user):
    user = make_user()
    assert GENERIC in client.sign_in(user.email, PASSWORD.upper(), expected=200)


def test_empty_fields_get_field_errors(client):
    page = client.post_form("/sign-in", {"email": "", "password": ""}, expected=200)
    assert "Enter your email address" in page and "Enter your password" in page


def test_deactivated_user_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    assert GENERIC in client.sign_in(user.email, PASSWORD, expected=200)


def test_sign_in_is_rate_limited(app_factory, make_user):
    app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
    from safeguarding.auth.models import Agency

    agency = Agency(name="A", kind="police")
    db.session.add(agency)
    db.session.commit()
    client = PageClient(app.test_client())
    for _ in range(3):
        client.sign_in("x@example.org", "wrong-password-xx", expected=200)
    page = client.sign_in("x@example.org", "wrong-password-xx", expected=429)
    assert "Too many attempts" in page


def test_csrf_token_required(client, make_user):
    user = make_user()
    page = client.post("/sign-in", {"email": user.email, "password": PASSWORD}, expected=400)
    assert "Your form has expired" in page
    assert len(_events("csrf_fail")) == 1


def test_session_cookie_flags(client, make_user):
    user = make_user()
    page = client.sign_in(user.email, PASSWORD)
    cookie = page.response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_cookie_is_set_at_sign_in_for_the_longest_session_and_not_sent_again_by_each_page(
        app, client, make_user):
    # the session row decides when a session ends; the cookie only has to outlast it
    from datetime import datetime, timezone

    user = make_user()
    client.sign_in(user.email, PASSWORD)
    cookie = client.client.get_cookie("session")
    hours = app.config["SESSION_LIFETIME_HOURS"]
    assert cookie.expires - datetime.now(timezone.utc) > timedelta(hours=hours, minutes=-1)
    client.get("/home")  # the first page may still put something in it (the form token, a message)
    before = client.client.get_cookie("session").value
    page = client.get("/home")
    assert "Set-Cookie" not in page.response.headers
    assert client.client.get_cookie("session").value == before


def test_new_session_identifier_on_sign_in(app, client, make_user):
    user = make_user()
    client.get("/sign-in")
    before = client.client.get_cookie("session").value
    client.sign_in(user.email, PASSWORD)
    after = client.client.get_cookie("session").value
    assert before != after


def test_copied_cookie_is_useless_after_sign_out(app, client, make_user):
    user = make_user()
    client.sign_in(user.email, PASSWORD)
    copied = client.client.get_cookie("session").value
    client.sign_out()
    thief = PageClient(app.test_client())
    thief.client.set_cookie("session", copied)
    page = thief.get("/home", expected=302)
    assert page.response.headers["Location"].startswith("/sign-in")


def test_idle_timeout_and_absolute_lifetime(app, client, make_user):
    user = make_user()
    with time_machine.travel("2026-11-26 09:00 +0000", tick=False) as traveller:
        client.sign_in(user.email, PASSWORD)
        traveller.shift(timedelta(minutes=29))
        client.get("/home")
        traveller.shift(timedelta(minutes=31))
        client.get("/home", expected=302)
        assert db.session.execute(db.select(UserSession.revoked_reason)).scalar_one() == "idle"

        client.sign_in(user.email, PASSWORD)
        for _ in range(12 * 3 + 1):  # active every 20 minutes until just past 12 hours
            traveller.shift(timedelta(minutes=20))
            if client.request("GET", "/home").status_code == 302:
                break
        reasons = db.session.execute(db.select(UserSession.revoked_reason).order_by(UserSession.id)).scalars().all()
        assert reasons == ["idle", "expired"]


def test_deactivation_ends_sessions(app, client, make_user):
    from safeguarding.auth import services

    user = make_user()
    client.sign_in(user.email, PASSWORD)
    client.get("/home")
    services.set_user_active(user, False)
    db.session.commit()
    client.get("/home", expected=302)


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user(name="Pat Example")
    laptop, phone = PageClient(app.test_client()), PageClient(app.test_client())
    laptop.sign_in(user.email, PASSWORD)
    phone.sign_in(user.email, PASSWORD)
    new = "purple-kettle-harbour-9"
    laptop.post_form("/account/password", {"current_password": PASSWORD, "new_password": new,
                                           "confirm_password": new})
    laptop.get("/account")
    phone.get("/home", expected=302)
    fresh = PageClient(app.test_client())
    fresh.sign_in(user.email, new)


def test_password_policy_messages(signed_in):
    client, _ = signed_in(Role.PRACTITIONER, name="Pat Example")
    cases = {
        "short": "Password must be 12 characters or more",
        "Password1234!": "Password is too easy to guess",
        "safeguarding2026": "Password must not be a word to do with this service",
        "pat-example-house": "Password must not contain your name or email address",
    }
    for new, message in cases.items():
        page = client.post_form("/account/password", {"current_password": PASSWORD, "new_password": new,
                                                      "confirm_password": new}, expected=200)
        assert message in page, new


def test_production_hasher_is_argon2id_with_sound_parameters():
    stored = PasswordHasher().hash("purple-kettle-harbour-9")
    assert stored.startswith("$argon2id$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2
    assert passwords.verify_password(stored, "purple-kettle-harbour-9")
    assert not passwords.verify_password(stored, "purple-kettle-harbour-9x")


def test_open_redirect_refused(client, make_user):
    user = make_user()
    token = client.get("/sign-in").csrf()
    page = client.post("/sign-in?next=//evil.example.org/x", {"csrf_token": token, "email": user.email,
                                                             "password": PASSWORD})
    assert page.response.headers["Location"] == "/home"


def test_the_timeout_warning_knows_when_the_session_ends_and_stay_signed_in_starts_the_idle_time_again(
        app, client, make_user):
    import re

    user = make_user()
    with time_machine.travel("2026-11-26 09:00 +0000", tick=False) as traveller:
        client.sign_in(user.email, PASSWORD)
        page = client.get("/home")
        assert re.search(r'data-seconds-left="1800"\s+data-extendable="yes"', page.html)
        traveller.shift(timedelta(minutes=28))
        stay = client.request("POST", "/session/stay-signed-in", headers={"X-CSRFToken": page.csrf()})
        assert stay.get_json() == {"seconds_left": 1800, "extendable": True}
        traveller.shift(timedelta(minutes=29))  # 57 minutes after signing in, 29 after asking for more time
        client.get("/home")
        # Near the 12 hours, the end cannot be put off: the warning says so, and offers no more time.
        for _ in range(33):  # in use every 20 minutes, until 11 hours 57 minutes after signing in
            traveller.shift(timedelta(minutes=20))
            page = client.get("/home")
        assert re.search(r'data-seconds-left="180"\s+data-extendable="no"', page.html)
        assert "Stay signed in" not in page.html and "Carry on and save" in page.html
