"""Open deadlines kept as rows, for My work (`kept_deadlines/rows.py`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime


class OpenDeadline(db.Model):
    """One open deadline, as the features' deadline providers give it (`safeguarding/deadlines.py`), kept from
    their records in the same transaction as the change (`kept_deadlines/rows.py`), so My work counts and pages a
    person's or a team's deadlines with one indexed query rather than asking every provider for every kind. Never
    written by hand; checkable against the providers (`flask check-open-deadlines`).

    A row says only which deadline, when it is due and whose it is; what My work shows (the title, the child's name)
    is read from the records for the rows a page shows, so a renamed child or a changed description needs nothing
    here."""

    __tablename__ = "open_deadline"
    __table_args__ = (
        # one row per deadline; also how a rebuild finds an object's rows
        Index("ux_open_deadline_object", "object_type", "object_id", "kind", unique=True),
        # a person's or a team's, by due time
        Index("ix_open_deadline_owner", "owner_id", "due_at"),
        # a team's shared deadlines (no named owner): each active manager of the agency sees them
        Index("ix_open_deadline_team", "team_agency_id", "due_at", postgresql_where=text("owner_id IS NULL"),
              sqlite_where=text("owner_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the deadline stops being open at this time whatever else happens (a booking checkpoint gives way to the next
    #: once that is due; a follow-up meeting convened for a time after its due date stops the chase then)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the named owner; None for a team's deadline nobody has been given yet (then `team_agency_id`)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_agency_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
