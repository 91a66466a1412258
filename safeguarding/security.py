"""Security headers and the sign-in requirement applied to every response and request."""
from __future__ import annotations

import secrets

from flask import g, redirect, request, url_for
from flask_login import current_user

from .auth.access import is_public_view


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


#: what someone whose password an administrator set may still do
_WHILE_PASSWORD_MUST_CHANGE = frozenset({"auth.change_password", "auth.sign_out", "static"})


def trust_proxies(app) -> None:
    """Behind a load balancer or reverse proxy, the client's address and scheme come from X-Forwarded-For/-Proto,
    set by exactly TRUSTED_PROXIES hops (0: none, the default, so a client cannot forge its address). Without this
    every sign-in would appear to come from the proxy: one attacker would lock everyone out of the per-address
    limit, and the audit trail would record only the proxy's address."""
    hops = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_prefix=0)


def register_security(app) -> None:
    from . import input_guard

    trust_proxies(app)

    @app.before_request
    def require_sign_in():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is None or is_public_view(view, request.endpoint):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        if current_user.must_change_password and request.endpoint not in _WHILE_PASSWORD_MUST_CHANGE:
            # an administrator chose this password: nothing else until the person has chosen their own
            return redirect(url_for("auth.change_password"))
        return None

    input_guard.register(app)

    @app.after_request
    def headers(response):
        nonce = g.get("csp_nonce", "")
        script = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.is_secure or app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            # Pages may carry case data: never store them in a browser or proxy cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
