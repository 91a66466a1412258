"""The report summaries: the partnership's counts by London calendar day, refreshed by the scheduler
(`summaries.refresh`), so a report for any period adds up at most a few rows per day of it, whatever the number of
discussions behind them.

Only counts and links to children (for "each child once" breakdowns) are kept here: never a name, a date of birth or
a census answer (those are read from the child's record when the breakdown is shown, so anonymising a child
reaches them at once).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime

STATE_ID = 1


class DayCount(db.Model):
    """How many records of one figure fell on one day (`counted`) and how many of them met its standard (`met`),
    optionally for one agency and one category (an outcome, an attendance answer, a stage...)."""

    __tablename__ = "report_day_count"
    # The primary key leads with the day: a page's read and a refresh's delete are one range of it.

    #: the London calendar day the records count on (the discussion held, the return, the referral received...)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: a practice-learning question's key, or one of the strategy discussion figures (summaries.py)
    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: the agency the row is about; 0 when the figure is not by agency (no foreign key: 0 is nobody)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    category: Mapped[str] = mapped_column(String(60), primary_key=True, default="")
    counted: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)


class DayChild(db.Model):
    """A child (born or unborn) discussed at a discussion held on `day`: "each child once" over a period cannot be
    added up from daily counts, so the breakdowns count these links (one per child per day) instead."""

    __tablename__ = "report_day_child"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)
    #: a section 47 enquiry was decided for the child at a discussion held that day
    section_47: Mapped[bool] = mapped_column(Boolean, default=False)


class DayRefreshed(db.Model):
    """When a day's summary rows were last worked out: a day with no row has never been (its zeros would lie)."""

    __tablename__ = "report_day_refreshed"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefreshState(db.Model):
    """One row: the last full refresh (which also vouches for every day before the first it covered: there were no
    records then) and the last refresh of the recent days. Each refresh slice updates it first, which also makes
    two refreshes (the scheduler's and an operator's) take turns rather than replace the same days at once."""

    __tablename__ = "report_refresh_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_from: Mapped[date | None] = mapped_column(Date)
    full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when a slice last started (the row lock's write)
    slice_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a new random value with every slice: what is worked out from the summaries (the breakdowns) is kept until
    #: it changes
    slice_id: Mapped[str | None] = mapped_column(String(32))
