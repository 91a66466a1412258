"""Building blocks for the integration API tests: a client with a token, and requests carrying it."""
from __future__ import annotations

import itertools
from datetime import timedelta

from safeguarding.api import services
from safeguarding.api.scopes import all_scopes
from safeguarding.clock import now
from safeguarding.service import transaction

EVERY_SCOPE = [name for name, _ in all_scopes()]
_keys = itertools.count(1)


def make_client(admin, agency, scopes=None, *, expires_in=timedelta(days=30), per_minute=10_000, name=None):
    """(client, token) for a system of `agency`, made by `admin` as the admin page would."""
    with transaction():
        made = services.create_client({"name": name or f"{agency.name} system", "agency_id": agency.id,
                                       "scopes": list(EVERY_SCOPE if scopes is None else scopes),
                                       "expires_at": now() + expires_in, "requests_per_minute": per_minute},
                                      actor=admin)
    return made.client, made.token


def key() -> str:
    return f"test-key-{next(_keys):06d}"


class Api:
    """A test client that sends the token (and a fresh Idempotency-Key on each POST unless given one)."""

    def __init__(self, flask_client, token: str):
        from .pages import PageClient

        # each call in a context of its own, as in production (PageClient.request): its own `g`, session and
        # connection, seeing only what the test committed
        self.http, self.token = PageClient(flask_client), token

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs):
        return self.http.request("GET", f"/api/v1{path}", headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, body: dict | None = None, *, idempotency_key: str | None = None, headers=None):
        extra = {"Idempotency-Key": idempotency_key or key(), **(headers or {})}
        return self.http.request("POST", f"/api/v1{path}", json=body if body is not None else {},
                                 headers=self.headers(extra))

    def open(self, path: str, method: str, **kwargs):
        return self.http.request(method, f"/api/v1{path}", **kwargs)
