"""The retention schedule the partnership sets, legal holds on children, and what retention has done."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import now
from ..extensions import db
from ..types import UTCDateTime
from .rules import DEFAULTS


class RetentionSchedule(db.Model):
    """One row: the partnership's schedule. Missing, the documented defaults apply (rules.DEFAULTS)."""

    __tablename__ = "retention_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: child protection records (strategy discussions, decisions) are kept until this birthday
    child_protection_age: Mapped[int] = mapped_column(Integer, default=DEFAULTS["child_protection_age"])
    #: missing-episode records are kept until this birthday
    missing_age: Mapped[int] = mapped_column(Integer, default=DEFAULTS["missing_age"])
    #: with no date of birth (unborn, never born), records are kept this many years after the last one
    no_birth_date_years: Mapped[int] = mapped_column(Integer, default=DEFAULTS["no_birth_date_years"])
    #: audit events outlive the record by this many years; shown, never acted on here (the trail is append-only)
    audit_years_after: Mapped[int] = mapped_column(Integer, default=DEFAULTS["audit_years_after"])
    #: off until the partnership has read a dry-run report: the scheduled job only reports while it is off
    apply_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class LegalHold(db.Model):
    """A manager's instruction that a child's records are not to be anonymised (litigation, an inquiry, a
    safeguarding practice review). A released hold is kept, so the record shows it was there."""

    __tablename__ = "legal_hold"
    __table_args__ = (Index("ix_legal_hold_child_open", "child_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    release_reason: Mapped[str] = mapped_column(Text, default="")

    set_by: Mapped[User] = relationship(foreign_keys=[set_by_id])


class RetentionAction(db.Model):
    """A child whose records retention has anonymised: never reported or handled again."""

    __tablename__ = "retention_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), unique=True)
    action: Mapped[str] = mapped_column(String(20), default="anonymised")
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: empty when the scheduled job did it
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
