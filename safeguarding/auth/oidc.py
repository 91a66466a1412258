"""Optional sign-in through the partnership's identity provider (OpenID Connect, authorisation code flow; Microsoft
Entra ID is what councils and forces use), with Authlib's Flask client.

Configured by environment variables (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET; see README). The provider
checks the password and the second factor (its conditional access policy), so no code is asked for here. Authlib
checks the state (CSRF), the nonce, and the ID token's signature (the provider's published keys), issuer, audience
and expiry. The person must already have an active account here with the same email address: the identity provider
says who someone is, this service still decides what they may see (role, agency, scopes).
"""
from __future__ import annotations

from authlib.integrations.base_client import OAuthError
from joserfc.errors import JoseError
from requests import RequestException
from authlib.integrations.flask_client import OAuth
from flask import current_app

from .. import audit
from ..extensions import db
from . import role_requests, services

NAME = "idp"


def enabled(app=None) -> bool:
    config = (app or current_app).config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def init_app(app) -> None:
    if not enabled(app):
        return
    oauth = OAuth(app)  # one per app: tests build apps with different providers
    app.extensions["oidc"] = oauth
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    oauth.register(
        NAME, client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "timeout": 10})


def client():
    return current_app.extensions["oidc"].create_client(NAME)


def redirect_uri() -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/sign-in/oidc/callback"


def account_for_callback():
    """(the active account the provider's answer names, None), or (None, why not: shown to the person). A refusal
    is audited; the caller commits either way."""
    try:
        token = client().authorize_access_token()
    except (OAuthError, JoseError, RequestException, ValueError, KeyError) as err:
        # a bad or replayed state, a token not signed by the provider's published keys, the wrong issuer or
        # audience, an expired token, the provider unreachable: no sign-in
        audit.record("sign_in_failed", "user", None, detail=f"identity provider: {type(err).__name__}"[:300])
        return None, "Sign-in with your organisation's account did not complete. Try again"
    claims = token.get("userinfo") or {}
    email = str(claims.get(current_app.config["OIDC_EMAIL_CLAIM"]) or "").strip().lower()
    user = services.find_user_by_email(email) if email else None
    if user is None or not user.is_active or role_requests.account_waiting(user) is not None:
        # a new account a second administrator has not approved yet: no way in, by password or provider
        audit.record("sign_in_failed", "user", user.id if user else None,
                     detail=f"identity provider: no active account for {email or 'an unnamed user'}"[:300])
        return None, "There is no account here for your organisation's sign-in. Ask your administrator"
    return user, None


def complete(user) -> None:
    services.complete_sign_in(user, "identity provider (OpenID Connect)")
    db.session.flush()
