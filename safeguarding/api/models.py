"""API clients and the idempotency keys of what they posted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Agency, User
from ..clock import now
from ..extensions import db
from ..types import UTCDateTime, one_of

#: a webhook delivery: waiting or being retried, received, given up after 72 hours, or not sent because the client
#: may not see the record (or its token no longer works)
DELIVERY_STATES = ("pending", "sent", "failed", "withheld")


class ApiClient(db.Model):
    """One other system (a council's case system, a force's records system) allowed to use the API."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the administrator calls it, e.g. "Testshire Police: Niche"
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: the account its calls are made, scoped and audited as (see the package docstring)
    service_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    #: SHA-256 of the token, which is shown once when the client is created and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the token's first characters, so an administrator can tell which token a system holds
    token_hint: Mapped[str] = mapped_column(String(20))
    #: scope names, e.g. ["children:read", "missing:write"] (scopes.all_scopes)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requests_per_minute: Mapped[int] = mapped_column(Integer, default=120)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")
    service_user: Mapped[User] = relationship(foreign_keys=[service_user_id], lazy="joined")

    def status(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= at else "active"


class ApiIdempotencyKey(db.Model):
    """A POST that was carried out: the same key with the same body returns the same result, a different body is
    refused. Holds what the POST made (a kind and an id), never what was posted: that may be about a child."""

    __tablename__ = "api_idempotency_key"

    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: SHA-256 of the method, path and body
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    #: what the answer showed: e.g. ("child", 12), or ("", None) for an answer with no record (no match)
    result_kind: Mapped[str] = mapped_column(String(40), default="")
    result_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


class WebhookSubscription(db.Model):
    """Where a client wants to be told of events, and which. Payloads hold ids and kinds only: the subscriber
    fetches what it may see with its token."""

    __tablename__ = "api_webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    #: event kinds (webhooks.EVENT_KINDS)
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    #: the HMAC-SHA256 key both sides hold: kept (not hashed), since every delivery is signed with it
    secret: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    client: Mapped[ApiClient] = relationship()


class WebhookEvent(db.Model):
    """Something that happened, written in the same transaction as the change (or by the overdue scan)."""

    __tablename__ = "api_webhook_event"
    __table_args__ = (Index("ix_api_webhook_event_pending", "fanned_out", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: unique: an event is written once however often its cause is seen (an overdue action: once per due time)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: copied to each subscription's deliveries
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)


class WebhookDelivery(db.Model):
    """One event to one subscription: tried with back-off until the receiver answers 2xx, logged for admins."""

    __tablename__ = "api_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_api_webhook_delivery_once"),
        Index("ix_api_webhook_delivery_due", "state", "next_attempt_at"),
        one_of("state", DELIVERY_STATES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("api_webhook_subscription.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("api_webhook_event.id"))
    #: pending, sent, failed, or withheld (the client may not see the object)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))

    subscription: Mapped[WebhookSubscription] = relationship()
    event: Mapped[WebhookEvent] = relationship()
