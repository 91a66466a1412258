from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db
from ..types import UTCDateTime


class AuditEvent(db.Model):
    """One thing that happened. Never updated or deleted (on PostgreSQL a trigger enforces it).

    Holds identifiers and field names with before/after values of structured fields; free-text about a child
    is recorded as "changed", never copied here, so the audit log does not become a second case record.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_object", "object_type", "object_id", "occurred_at"),
        Index("ix_audit_event_user", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: copied at the time, so the record stays true if the user later moves agency or role
    agency_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(20))
    #: e.g. sign_in, sign_in_failed, view, create, update, authz_fail
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    #: {"field": {"from": ..., "to": ...}} for structured fields
    changes: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    #: anything else worth keeping that is not case content (e.g. the email typed at a failed sign-in)
    detail: Mapped[str | None] = mapped_column(String(300))


class AuditSeal(db.Model):
    """The hash chain over the audit trail: each sealed event's hash covers its own content and the hash of the
    event sealed before it, so changing, deleting or back-dating any sealed event breaks every later link.

    Written only by `flask audit seal` (the scheduler runs it every minute), a little after events are written, in
    event order; `flask audit verify` walks the chain. Insert-only, like the trail itself.
    """

    __tablename__ = "audit_seal"

    #: one seal per event, never two: the primary key is the event's id
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), primary_key=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class AuditEventChild(db.Model):
    """Which children a view or change was about, when its object is not the child (a discussion, an episode, an
    action): so "who has looked at this child" lists every page that showed the child, not only the child's own.
    Insert-only, like the trail."""

    __tablename__ = "audit_event_child"
    __table_args__ = (Index("ix_audit_event_child_child", "child_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id"), primary_key=True)
    child_id: Mapped[int] = mapped_column(Integer, primary_key=True)
