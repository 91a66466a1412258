"""Every route is private unless on the public allow-list; admin pages are for administrators only."""
import re

import pytest

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.extensions import db

from .pages import PageClient

# the two sign-in code steps are public but open only to someone whose password was right moments ago; choosing a
# password opens only with a signed, unexpired, unused link (tests/test_set_password_link.py); the identity
# provider's two steps sign in only whom the provider vouches for and who has an account here (tests/test_oidc.py)
PUBLIC = {"static", "main.index", "main.healthz", "main.accessibility", "auth.sign_in", "auth.code",
          "auth.set_up_code", "auth.choose_password", "auth.oidc_start", "auth.oidc_callback", "api.openapi_json",
          "api.docs"}


def _token_operations(app) -> set[str]:
    """The integration API's operations: they read no sign-in session; each checks its client's token instead
    (tests/test_api.py), so without one the answer is 401, never a page."""
    return {ep for ep in app.view_functions if ep.startswith("api.") and ep not in PUBLIC}


def _concrete(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)


def _routes(app, method):
    return [(r.endpoint, _concrete(r)) for r in app.url_map.iter_rules() if method in r.methods]


def test_public_allow_list_is_what_we_expect(app):
    from safeguarding.auth.access import is_public_view

    public = {ep for ep, view in app.view_functions.items() if is_public_view(view, ep)}
    assert public - _token_operations(app) == PUBLIC


def test_every_private_page_redirects_to_sign_in_when_signed_out(app, client):
    checked = 0
    api = _token_operations(app)
    for endpoint, url in _routes(app, "GET"):
        if endpoint in PUBLIC:
            continue
        if endpoint in api:
            assert client.get(url, expected=401).response.headers["Content-Type"] == "application/problem+json"
            continue
        page = client.get(url, expected=302)
        assert page.response.headers["Location"].startswith("/sign-in"), endpoint
        checked += 1
    assert checked >= 5


def test_every_post_needs_a_csrf_token(app, signed_in):
    client, _ = signed_in(Role.ADMIN)
    api = _token_operations(app)
    for endpoint, url in _routes(app, "POST"):
        if endpoint in api:  # exempt from CSRF: no cookie is read, so a forged request carries no credential
            client.post(url, {}, expected=401)
            continue
        page = client.post(url, {}, expected=400)
        assert "Your form has expired" in page, endpoint


def test_admin_pages_are_refused_to_other_roles_and_audited(app, signed_in):
    admin_routes = [(ep, url) for ep, url in _routes(app, "GET") if ep.startswith("admin.")]
    assert admin_routes
    for role in (Role.MASH, Role.PRACTITIONER, Role.MANAGER):
        client, user = signed_in(role)
        for _, url in admin_routes:
            client.get(url, expected=403)
        fails = db.session.execute(db.select(AuditEvent).where(
            AuditEvent.action == "authz_fail", AuditEvent.user_id == user.id)).scalars().all()
        assert len(fails) == len(admin_routes)


@pytest.mark.parametrize("path", ["/sign-in", "/home", "/admin/users", "/no-such-page"])
def test_security_headers_on_pages(signed_in, path):
    client, _ = signed_in(Role.ADMIN)
    response = client.request("GET", path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    if response.mimetype == "text/html" and response.status_code != 302:
        assert "script-src 'self' 'nonce-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_unexpected_error_shows_a_page_without_a_stack_trace(app_factory):
    # an app of its own: a route cannot be added to the run's app once it has served requests
    app = app_factory(PROPAGATE_EXCEPTIONS=False)
    client = PageClient(app.test_client())

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    from safeguarding.auth.access import public

    public(boom)
    page = client.get("/boom-for-test", expected=500)
    assert "Sorry, there is a problem with the service" in page
    assert "secret internals" not in page.html and "Traceback" not in page.html


def test_not_found_page(signed_in):
    client, _ = signed_in(Role.MASH)
    page = client.get("/no-such-page", expected=404)
    assert page.title.startswith("Page not found")


def test_health_check(client):
    assert client.request("GET", "/healthz").get_json() == {"status": "ok"}
