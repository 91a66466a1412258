"""Sign-in through the partnership's identity provider (OpenID Connect), against a local provider built on Authlib's
server (tests/oidc_provider.py) over real HTTP: the provider checks password and second factor, this service still
decides who has an account and what they may see."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.extensions import db

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider
from .pages import PageClient


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback, for the test only
    with running_provider() as stub:
        stub.redirect_uri = "http://localhost/sign-in/oidc/callback"
        yield stub


@pytest.fixture
def app(app_factory, provider):
    return app_factory(MFA_REQUIRED=True, RATELIMIT_ENABLED=False, OIDC_ISSUER=provider.issuer,
                       OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET)


def _through_provider(client: PageClient, start="/sign-in/oidc"):
    """The browser's round trip: to the provider, which approves at once, and back with a code."""
    away = client.get(start, expected=302).response.headers["Location"]
    assert away.startswith(client_issuer(away))
    back = requests.get(away, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["Location"])
    return client.get(f"{parts.path}?{parts.query}", expected=302)


def client_issuer(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_known_person_signs_in_through_the_identity_provider_without_a_code_here(app, provider, make_user):
    user = make_user(Role.MASH, "csc", email="sam.patel@example.org")
    client = PageClient(app.test_client())
    assert "Sign in with your organisation's account" in client.get("/sign-in")
    provider.signed_in_as = "Sam.Patel@example.org"
    done = _through_provider(client, "/sign-in/oidc?next=/children/")
    assert done.response.headers["Location"] == "/children/"
    assert client.get("/home").status == 200  # no code asked for: the provider's policy did that
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "sign_in")).scalar_one()
    assert event.user_id == user.id and "OpenID Connect" in event.detail


def test_no_account_here_means_no_sign_in(app, provider, make_user):
    make_user(Role.MASH, "csc", email="someone@example.org")
    deactivated = make_user(Role.MASH, "csc", email="left@example.org", active=False)
    for email in ("stranger@example.org", deactivated.email):
        client = PageClient(app.test_client())
        provider.signed_in_as = email
        done = _through_provider(client)
        assert done.response.headers["Location"].startswith("/sign-in")
        assert "There is no account here" in client.get("/sign-in")
        assert client.get("/home", expected=302)
    assert db.session.execute(db.select(db.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "sign_in_failed")).scalar_one() == 2


def test_a_new_account_not_yet_approved_cannot_sign_in_through_the_provider(app, provider, make_user, agencies):
    from safeguarding.auth import services

    creator = make_user(Role.ADMIN, "csc")
    with app.test_request_context():
        services.create_user({"name": "Nina Nurse", "email": "nina@example.org", "agency_id": agencies["csc"].id,
                              "job_title": "", "role": "practitioner"}, None, actor=creator)
    db.session.commit()
    client = PageClient(app.test_client())
    provider.signed_in_as = "nina@example.org"
    assert _through_provider(client).response.headers["Location"].startswith("/sign-in")
    assert "There is no account here" in client.get("/sign-in")
    assert client.get("/home", expected=302)


def test_a_token_signed_with_another_key_or_a_replayed_callback_is_refused(app, provider, make_user):
    make_user(Role.MASH, "csc", email="sam.patel@example.org")
    provider.signed_in_as = "sam.patel@example.org"
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "stub-key"})  # not the published key
    client = PageClient(app.test_client())
    _through_provider(client)
    assert "did not complete" in client.get("/sign-in")
    assert client.get("/home", expected=302)

    provider.signing_key = provider.key
    client = PageClient(app.test_client())
    away = client.get("/sign-in/oidc", expected=302).response.headers["Location"]
    back = urlsplit(requests.get(away, allow_redirects=False, timeout=5).headers["Location"])
    other = PageClient(app.test_client())  # a callback carried to another browser: its state is not theirs
    other.get(f"{back.path}?{back.query}", expected=302)
    assert other.get("/home", expected=302)


def test_without_configuration_there_is_no_identity_provider_sign_in(app_factory):
    app = app_factory()
    client = PageClient(app.test_client())
    assert "organisation" not in client.get("/sign-in")
    client.get("/sign-in/oidc", expected=404)
