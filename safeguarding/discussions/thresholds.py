"""The rules of a strategy discussion that do not need a database: outcomes, timescales, minimum agencies.

Pure functions only (no Flask, no database) so statutory timescales can be tested on their own. Dates are
London calendar dates; instants are aware UTC datetimes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from ..workdays import add_working_days

LONDON = ZoneInfo("Europe/London")

#: threshold outcome -> words a social worker would use
OUTCOMES: dict[str, str] = {
    "nfa": "No further action",
    "early_help": "Early help",
    "s17": "Section 17 child in need assessment",
    "s47_single": "Section 47 enquiry (single agency)",
    "s47_joint": "Section 47 enquiry, joint with a police criminal investigation",
    "police_only": "Police-only investigation",
}
SECTION_47 = frozenset({"s47_single", "s47_joint"})

#: Working Together: the ICPC is held within 15 working days of the strategy discussion that started the enquiry
ICPC_WORKING_DAYS = 15
#: An ICPC "due on" a date is due by close of business that day
CLOSE_OF_BUSINESS = time(17, 0)

#: The three agencies every strategy discussion needs (national rule): agency kind -> label
MINIMUM_AGENCIES: dict[str, str] = {
    "childrens_social_care": "Children's social care",
    "police": "Police",
    "health": "Health",
}


def is_section_47(outcome: str | None) -> bool:
    return outcome in SECTION_47


def london_date_of(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


def _london_instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(timezone.utc)


def icpc_due_on(enquiry_started_on: date) -> date:
    """The last date for the initial child protection conference: 15 working days after the enquiry began."""
    return add_working_days(enquiry_started_on, ICPC_WORKING_DAYS)


def icpc_due_at(enquiry_started_on: date) -> datetime:
    return _london_instant(icpc_due_on(enquiry_started_on), CLOSE_OF_BUSINESS)


@dataclass(frozen=True)
class EnquiryStart:
    #: True when this discussion's decision is the one that started the section 47 enquiry
    starts_here: bool
    started_on: date


def enquiry_start(outcome: str, discussion_on: date, open_enquiry_started_on: date | None) -> EnquiryStart | None:
    """When the child's section 47 enquiry started, for a decision made at a discussion held on `discussion_on`.

    `open_enquiry_started_on` is the start of an enquiry already under way for this child (decided at an
    earlier discussion in the same chain of initial and review discussions). A review discussion that keeps
    the child in section 47 does not restart the ICPC clock: the ICPC stays due 15 working days after the
    discussion that started the enquiry. Not a section 47 outcome: None.
    """
    if not is_section_47(outcome):
        return None
    if open_enquiry_started_on is not None and open_enquiry_started_on <= discussion_on:
        return EnquiryStart(starts_here=False, started_on=open_enquiry_started_on)
    return EnquiryStart(starts_here=True, started_on=discussion_on)


def circulation_due_at(held_at: datetime, working_days: int = 1) -> datetime:
    """The record is circulated to attendees within `working_days` working days of the discussion.

    Due at the same London time of day on that working day: a discussion at 14:00 on Friday is due to be
    circulated by 14:00 on Monday (or Tuesday after a bank holiday).
    """
    local = held_at.astimezone(LONDON)
    day = add_working_days(local.date(), working_days)
    return _london_instant(day, local.time().replace(second=0, microsecond=0))


def latest_start_on(decided_on: date, *, urgent: bool, working_days: int = 1) -> date:
    """The latest date a discussion should be held after the decision to convene it.

    Urgent (serious injury, recent sexual abuse): the same day. Otherwise within the partnership's setting
    (default 1 working day, and never more than 3).
    """
    if urgent:
        return decided_on
    return add_working_days(decided_on, max(0, min(working_days, 3)))


def missing_minimum_agencies(present_kinds: Iterable[str]) -> list[str]:
    """Labels of the minimum agencies (CSC, police, health) not among the agency kinds present."""
    present = set(present_kinds)
    return [label for kind, label in MINIMUM_AGENCIES.items() if kind not in present]


#: local procedure: a phone discussion is followed by a strategy meeting within this many working days,
#: where the chair asks for one
FOLLOW_UP_MEETING_WORKING_DAYS = 5


def follow_up_meeting_due_at(held_at: datetime, working_days: int = FOLLOW_UP_MEETING_WORKING_DAYS) -> datetime:
    """The strategy meeting asked for after a phone discussion is due by close of business on the
    `working_days`-th working day after the discussion."""
    return _london_instant(add_working_days(london_date_of(held_at), working_days), CLOSE_OF_BUSINESS)
