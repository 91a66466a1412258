"""A local OpenID Connect provider for the tests, built on Authlib's server pieces (AuthorizationServer, the
authorisation code grant with the OpenID extension) and served on a loopback port: the app talks to it over real
HTTP as it would to Microsoft Entra ID. Whoever `signed_in_as` names is approved at once, as if they had signed in
there (with their password and second factor)."""
from __future__ import annotations

import contextlib
import secrets
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID, CLIENT_SECRET = "strategy-discussions", "stub-client-secret"


class Client(ClientMixin):
    def __init__(self, redirect_uri: str):
        self.redirect_uri = redirect_uri

    def get_client_id(self):
        return CLIENT_ID

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in {"openid", "email", "profile"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code(AuthorizationCodeMixin):
    def __init__(self, code, redirect_uri, scope, nonce, email):
        self.code, self.redirect_uri, self.scope, self.nonce, self.email = code, redirect_uri, scope, nonce, email
        self.auth_time = int(time.time())

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return ["pwd", "mfa"]


class Provider:
    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "stub-key", "use": "sig"})
        self.signing_key = self.key  # a test may swap in a key the published set does not have
        self.codes: dict[str, Code] = {}
        self.signed_in_as: str | None = None
        self.email_claim = "email"
        self.issuer = ""
        self.redirect_uri = ""
        self.app = self._build()

    def _build(self) -> Flask:
        provider = self
        app = Flask("oidc-stub")
        app.config["SECRET_KEY"] = secrets.token_hex(16)

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                provider.codes[code] = Code(code, request.payload.redirect_uri, request.payload.scope,
                                            request.payload.data.get("nonce"), request.user)

            def query_authorization_code(self, code, client):
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.email

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.signing_key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "stub-key"}

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [CLIENT_ID]}

            def generate_user_info(self, email, scope):
                return UserInfo(sub=f"stub-{email}", **{provider.email_claim: email})

        server = AuthorizationServer(app, query_client=lambda cid: Client(provider.redirect_uri)
                                     if cid == CLIENT_ID else None,
                                     save_token=lambda token, request: None)
        server.register_grant(CodeGrant, [OpenID(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify({
                "issuer": provider.issuer, "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token", "jwks_uri": f"{provider.issuer}/keys",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]})

        @app.get("/keys")
        def keys():
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            return server.create_authorization_response(grant_user=provider.signed_in_as)

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app


@contextlib.contextmanager
def running_provider():
    provider = Provider()
    server = make_server("127.0.0.1", 0, provider.app, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)
