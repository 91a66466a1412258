"""Reminder rules, the notification outbox, and the scheduler's heartbeat."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import now
from ..extensions import db
from ..types import UTCDateTime, one_of
from .rules import DIGEST, LEVELS, NOTICE, RuleSettings

PENDING, SENT, FAILED = "pending", "sent", "failed"
EMAIL_STATES = (PENDING, SENT, FAILED)


class ReminderRule(db.Model):
    """How one kind of deadline is chased. Created with the defaults in rules.py the first time a sweep meets
    the kind, so admins see every rule in force; a partnership changes its local timescales here."""

    __tablename__ = "reminder_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the deadline kind, e.g. "agreed_action" (see safeguarding/deadlines.py)
    kind: Mapped[str] = mapped_column(String(40), unique=True)
    #: clock hours before the due time for the "due soon" reminder; empty means none
    remind_hours_before: Mapped[int | None] = mapped_column(Integer)
    #: remind the owner at the due time
    remind_at_due: Mapped[bool] = mapped_column(Boolean, default=True)
    #: working days overdue before the owner's line manager is told; empty means never
    escalate_after_working_days: Mapped[int | None] = mapped_column(Integer)
    #: counted in the owner's daily summary
    in_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    @property
    def settings(self) -> RuleSettings:
        return RuleSettings(self.remind_hours_before, self.remind_at_due, self.escalate_after_working_days,
                            self.in_digest, self.is_active)


class Notification(db.Model):
    """One reminder to one person: shown in the app until acknowledged, and sent by email once.

    The unique key (rule, object, level, recipient, due time) is what makes the sweep safe to repeat, overlap or crash:
    a second insert of the same reminder does nothing. Email delivery is a separate step that claims rows by
    pushing `next_attempt_at` forward, so two deliverers never send the same row at the same time.
    """

    __tablename__ = "notification"
    __table_args__ = (
        # Object first, so the sweep can also look up what already exists for the deadlines it found.
        UniqueConstraint("object_type", "object_id", "rule", "level", "recipient_id", "due_key",
                         name="uq_notification_once"),
        #: the delivery pass: pending rows whose attempt is due
        Index("ix_notification_delivery", "email_state", "next_attempt_at"),
        # the operations page's "emailed in the last 24 hours"
        Index("ix_notification_sent_at", "sent_at"),
        #: the header's unread count and the notifications page
        Index("ix_notification_inbox", "recipient_id", "acknowledged_at", "created_at"),
        #: the notifications page's acknowledged ones, newest first (most of a busy inbox: 24,537 of MASH's 25,049
        #: at 10x), so a page of them is read from the index, not sorted out of the whole inbox
        Index("ix_notification_acknowledged", "recipient_id", "created_at", "id",
              postgresql_where=text("acknowledged_at IS NOT NULL"), sqlite_where=text("acknowledged_at IS NOT NULL")),
        one_of("email_state", EMAIL_STATES),
        one_of("level", LEVELS + (DIGEST, NOTICE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the reminder rule's kind ("agreed_action", ...) or "digest" for the daily summary
    rule: Mapped[str] = mapped_column(String(40))
    #: what is being chased (for the daily summary: "day", and object_id is the London date as YYYYMMDD)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    #: before, due, escalation or digest
    level: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: the due time the reminder was about (UTC, ISO seconds; "" for summaries and notices): part of the key, so a
    #: deadline moved to a new time is chased again at the new time, and never twice for the same time
    due_key: Mapped[str] = mapped_column(String(25), default="")
    #: the deadline's kind, for counting in emails ("2 overdue agreed actions")
    kind: Mapped[str] = mapped_column(String(40))
    #: shown in the app only (may name a child); never put in an email
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: whose deadline it is (for escalations, the person who has not done it)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: when the sweep found the condition true
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    #: in-app acknowledgement: who said "seen", and when
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    #: email delivery: pending -> sent, or failed after too many attempts or a permanent refusal
    email_state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: not before this instant (back-off after a failure, or a lease while one deliverer is sending it)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: the deliverer that holds the lease, so it marks only rows it claimed
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the Message-ID of the email carrying this row, recorded before sending (see delivery.py)
    message_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def is_unread(self) -> bool:
        return self.acknowledged_at is None


class OutboundEmail(db.Model):
    """An email that is not a reminder: a calendar invitation or a notice to an agency's shared mailbox, which has
    no account here and so no in-app inbox. Written in the same transaction as the change it tells of; delivered by
    the same pass (and leases, back-off and Message-IDs) as reminders. The page that says "sent to the police
    mailbox" lists these rows, so it says only what is true."""

    __tablename__ = "outbound_email"
    __table_args__ = (
        Index("ix_outbound_email_delivery", "state", "next_attempt_at"),
        Index("ix_outbound_email_object", "object_type", "object_id", "created_at"),
        one_of("state", EMAIL_STATES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what makes a repeated write harmless, e.g. "invitation:12:3:police-mash@force.example"
    key: Mapped[str] = mapped_column(String(400), unique=True)
    #: invitation, cancellation, minutes_circulated, ...
    purpose: Mapped[str] = mapped_column(String(30))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    to_address: Mapped[str] = mapped_column(String(320))
    #: a named person, or an agency's shared mailbox (one of the two)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    #: never a child's name or case details: email is not a secure channel
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: an iCalendar attachment (text/calendar; method REQUEST or CANCEL), when it is an invitation
    calendar: Mapped[str | None] = mapped_column(Text)
    calendar_method: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    recipient: Mapped[User | None] = relationship(foreign_keys=[recipient_id])


class SchedulerHeartbeat(db.Model):
    """One row the scheduler updates after each job, so admins can see it is alive and what it last did."""

    __tablename__ = "scheduler_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: host:pid of the process holding the scheduler
    started_by: Mapped[str | None] = mapped_column(String(200))
    last_sweep_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sweep_result: Mapped[str | None] = mapped_column(String(300))
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_delivery_result: Mapped[str | None] = mapped_column(String(300))
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: reminders the last sweep could route to no one (no line manager, lead, manager or mailbox), for admins
    unrouted_count: Mapped[int] = mapped_column(Integer, default=0)
    unrouted_sample: Mapped[str | None] = mapped_column(Text)
    #: the instant the last sweep chased up to, and the instant of the last full sweep (the catch-up that walks
    #: the whole backlog): a regular sweep reads only the window since, see sweep.py
    swept_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caught_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the scheduler's lease (see lease.py): which process may run the jobs, until when (database time)
    lease_holder: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
