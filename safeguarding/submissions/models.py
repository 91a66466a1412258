from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db
from ..types import UTCDateTime


class FormSubmission(db.Model):
    """A create form that was saved: which key, by whom, and where its record is shown."""

    __tablename__ = "form_submission"
    __table_args__ = (Index("ix_form_submission_repeat", "user_id", "fingerprint", "saved_at"),)

    #: the one-time key the form carried (random, issued when the form was shown)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: SHA-256 of the page and the answers posted (never the answers themselves: they may be about a child)
    fingerprint: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: where the person who submitted again is sent to see what was saved
    result_url: Mapped[str] = mapped_column(String(500), default="")
