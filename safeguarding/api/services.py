"""Creating, revoking and recognising API clients. Flushes only: the admin view's `transaction()` commits."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from .. import audit
from ..auth.models import Agency, AgencyKind, Role, User
from ..auth.passwords import NO_PASSWORD
from ..clock import now
from ..extensions import db
from ..service import RuleError
from . import scopes as scope_rules
from .models import ApiClient, ApiIdempotencyKey
from .tokens import new_token, shown_part, token_hash

log = logging.getLogger("safeguarding.api")

CLIENT_FIELDS = ("name", "agency_id", "scopes", "expires_at", "requests_per_minute")


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    #: shown to the administrator once, never stored
    token: str


def create_client(data: dict, *, actor) -> NewClient:
    agency = db.session.get(Agency, data["agency_id"])
    if agency is None or not agency.is_active:
        raise RuleError("Select the agency whose system this is", "agency_id")
    if agency.kind == AgencyKind.SAFEGUARDING_PARTNERSHIP.value:
        raise RuleError("The partnership business unit opens no case records, so it cannot have an API client",
                        "agency_id")
    unknown = set(data["scopes"]) - {name for name, _ in scope_rules.all_scopes()}
    if not data["scopes"] or unknown:
        raise RuleError("Select what the system may do", "scopes")
    if data["expires_at"] <= now():
        raise RuleError("The token must expire in the future", "expires_on")
    service_user = User(name=f"API client: {data['name']}"[:200],
                        email=f"api-client-{secrets.token_hex(8)}@api.invalid", agency_id=agency.id,
                        job_title="Integration API client", role=Role.MANAGER.value,
                        is_active_user=False, is_service_account=True, password_hash=NO_PASSWORD)  # never signs in
    db.session.add(service_user)
    db.session.flush()
    token = new_token()
    client = ApiClient(**{k: data[k] for k in CLIENT_FIELDS}, service_user_id=service_user.id,
                       token_hash=token_hash(token), token_hint=shown_part(token), created_by_id=actor.id)
    db.session.add(client)
    db.session.flush()
    audit.record("create", "api_client", client.id, user=actor,
                 changes=audit.changes_between({}, audit.snapshot(client, CLIENT_FIELDS)))
    log.info("api client created id=%s agency=%s", client.id, agency.id)
    return NewClient(client, token)


def revoke(client: ApiClient, *, actor) -> None:
    if client.revoked_at is not None:
        return
    client.revoked_at = now()
    client.revoked_by_id = actor.id
    audit.record("revoke", "api_client", client.id, user=actor)
    log.info("api client revoked id=%s", client.id)


def client_for_token(token: str | None, at: datetime) -> ApiClient | None:
    """The client this token belongs to if it may be used now: not expired, not revoked, its agency active."""
    if not token:
        return None
    client = db.session.execute(
        select(ApiClient).where(ApiClient.token_hash == token_hash(token))).scalar_one_or_none()
    if client is None or client.status(at) != "active" or not client.agency.is_active:
        return None
    return client


def clients() -> list[ApiClient]:
    return list(db.session.execute(select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.name,
                                                              ApiClient.id)).scalars())


def forget_idempotency_keys(before: datetime) -> int:
    """Forget the Idempotency-Keys used before `before` (the scheduler's nightly housekeeping): a retry after that
    is a new request. One indexed DELETE (by when the key was used); the caller commits."""
    done = db.session.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < before))
    return done.rowcount or 0
