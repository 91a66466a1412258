"""The rules of a strategy discussion that do not need a database: outcomes, timescales, minimum agencies.

Pure functions only (no Flask, no database) so statutory timescales can be tested on their own. Dates are
London calendar dates; instants are aware UTC datetimes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable
from ..clock import LONDON
from ..workdays import add_working_days


class RuleError(ValueError):
    """Input that the law or the facts make impossible; same shape as `safeguarding.service.RuleError` (message,
    form field), which a service raises in its place: this module stays free of Flask and the database."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

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


def enquiry_start(outcome: str, discussion_on: date, open_enquiry_started_on: date | None, *,
                  initial: bool = False, open_enquiry_ended_on: date | None = None) -> EnquiryStart | None:
    """When the child's section 47 enquiry started, for a decision made at a discussion held on `discussion_on`.

    `open_enquiry_started_on` is the start of an enquiry already under way for this child (decided at an
    earlier discussion in the same chain of initial and review discussions). A review discussion that keeps
    the child in section 47 does not restart the ICPC clock: the ICPC stays due 15 working days after the
    discussion that started the enquiry. Not a section 47 outcome: None.

    An `initial` discussion is about a new concern and starts its own enquiry and its own clock: it never takes
    over the ICPC date of an earlier, unrelated enquiry (one started in September and never closed would
    otherwise make a November enquiry "overdue" from its first day). Nor does anything continue an enquiry
    whose outcome was recorded (`open_enquiry_ended_on`) on or before this discussion.
    """
    if not is_section_47(outcome):
        return None
    ended = open_enquiry_ended_on is not None and open_enquiry_ended_on <= discussion_on
    if (open_enquiry_started_on is not None and open_enquiry_started_on <= discussion_on and not initial
            and not ended):
        return EnquiryStart(starts_here=False, started_on=open_enquiry_started_on)
    return EnquiryStart(starts_here=True, started_on=discussion_on)


def circulation_due_at(held_at: datetime, working_days: int = 1) -> datetime:
    """The record is due to attendees by 17:00 London on the `working_days`-th working day after the London date
    of the discussion.

    Every working-day clock ends at close of business, whatever the hour it started: a discussion held out of
    hours at 01:30 on a Saturday is due 17:00 on Monday, not 01:30 on Monday (overdue before anyone is at work).
    """
    return _london_instant(add_working_days(london_date_of(held_at), working_days), CLOSE_OF_BUSINESS)


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


#: Modes that count as the strategy meeting a phone discussion asked for: another phone call is not a meeting.
#: A video call counts, as partnerships have held strategy meetings by video since 2020.
FOLLOW_UP_MEETING_MODES = frozenset({"meeting", "video"})

#: what the follow-up meeting clock says, given the meetings convened for it
FOLLOW_UP_STATES = {
    "open": "Not yet convened",
    "booked": "Convened in time, not yet held",
    "met": "Held in time",
    "booked_late": "Convened for after the due date",
    "overdue": "Overdue: not held",
    "late": "Held late",
}
#: the same in a word or two for the status tag, and what is said beside it where the tag alone says too little
FOLLOW_UP_TAGS = {"open": "Not convened", "booked": "Convened", "met": "Held in time", "booked_late": "Convened late",
                  "overdue": "Overdue", "late": "Held late"}
FOLLOW_UP_DETAIL = {"booked": "In time, not yet held.", "booked_late": "For after the due date.",
                    "overdue": "Not held by the due date."}
#: states in which the chair is still chased: nothing held, and nothing set to be held in time
FOLLOW_UP_CHASED = frozenset({"open", "booked_late", "overdue"})


def follow_up_meeting_state(due_at: datetime, meetings_at: Iterable[datetime], now: datetime) -> str:
    """Where the follow-up strategy meeting clock stands at `now`.

    `meetings_at` are the times of the (not cancelled) strategy meetings convened to follow the phone discussion.
    Only a meeting held by the due time meets the clock. One held after it closes the clock as late, so a
    review set three weeks after the discussion no longer counts as on time. A meeting set within the time
    stops the chasing (the chair has done what was asked) without meeting the clock until it is held.
    """
    times = sorted(meetings_at)
    held = [t for t in times if t <= now]
    if held:
        return "met" if held[0] <= due_at else "late"
    if any(t <= due_at for t in times):
        return "booked"
    if times:
        return "booked_late"
    return "overdue" if now >= due_at else "open"


#: Working Together 2023: the child and family assessment is completed within 45 working days of the referral
ASSESSMENT_WORKING_DAYS = 45
#: outcomes that start a child and family assessment (section 17 or section 47)
ASSESSMENT_OUTCOMES = frozenset({"s17"}) | SECTION_47


def starts_assessment(outcome: str | None) -> bool:
    return outcome in ASSESSMENT_OUTCOMES


def assessment_due_on(referral_received_on: date) -> date:
    """The last date for the child and family assessment: 45 working days after the referral was received."""
    return add_working_days(referral_received_on, ASSESSMENT_WORKING_DAYS)


def assessment_due_at(referral_received_on: date) -> datetime:
    return _london_instant(assessment_due_on(referral_received_on), CLOSE_OF_BUSINESS)


@dataclass(frozen=True)
class ReferralDecision:
    """One decision about a child's referral, as far as its assessment clock goes: its id, its outcome, when it was
    decided, and whether the assessment is recorded as completed on it."""
    id: int
    outcome: str | None
    decided_at: datetime
    completed: bool


def assessment_clock_holder(decisions: Iterable[ReferralDecision]) -> int | None:
    """Of every decision about one child's referral (the initial discussion's and its reviews', whatever their
    outcome), the id of the one whose discussion's chair is chased for the child and family assessment, or None:
    the earliest decided that started an assessment, unless its completion is recorded on any of them. There is
    one assessment per referral: a review that keeps the child in section 47 does not start another."""
    decisions = list(decisions)
    if any(d.completed for d in decisions):
        return None
    started = [d for d in decisions if starts_assessment(d.outcome)]
    return min(started, key=lambda d: (d.decided_at, d.id)).id if started else None


#: The ICPC must be booked well before its 15th working day: a reminder at the due date itself comes too late
#: to find a chair and a room. Local practice: the conference is requested within 1 working day of the
#: decision, and a conference still not booked at 10 working days is chased (5 working days left to hold it).
#: kind -> working days after the enquiry started
ICPC_CHECKPOINTS: dict[str, int] = {
    "icpc_request": 1,
    "icpc_booking": 10,
}


def icpc_checkpoints(enquiry_started_on: date) -> list[tuple[str, datetime]]:
    """(kind, instant) for each booking reminder, then ("icpc", the due time), earliest first."""
    points = [(kind, _london_instant(add_working_days(enquiry_started_on, days), CLOSE_OF_BUSINESS))
              for kind, days in sorted(ICPC_CHECKPOINTS.items(), key=lambda item: item[1])]
    return points + [("icpc", icpc_due_at(enquiry_started_on))]


# --- Section 47 enquiry outcome and the conference ------------------------------------------------------------

#: how a section 47 enquiry ends (Working Together 2023): who decided and when are recorded with the reason
ENQUIRY_OUTCOMES: dict[str, str] = {
    "icpc": "Concerns substantiated, child likely to suffer significant harm: initial child protection conference",
    "child_in_need": "Concerns substantiated, no continuing risk of significant harm: child in need plan",
    "no_further_action": "Concerns substantiated, no continuing risk: no further action",
    "not_substantiated": "Concerns not substantiated",
}


def icpc_still_needed(enquiry_outcome: str | None) -> bool:
    """Whether the ICPC clock runs on after the enquiry's outcome: only when a conference was asked for. Any other
    outcome ends it, so an enquiry that ended without a conference is not chased as overdue for ever."""
    return enquiry_outcome is None or enquiry_outcome == "icpc"


def check_enquiry_outcome(outcome: str | None, reason: str, decided_on: date, enquiry_started_on: date,
                          today: date) -> None:
    if outcome not in ENQUIRY_OUTCOMES:
        raise RuleError("Select the outcome of the section 47 enquiry", "enquiry_outcome")
    if not (reason or "").strip():
        raise RuleError("Enter the reasons for the outcome", "enquiry_outcome_reason")
    if decided_on > today:
        raise RuleError("Date of the outcome must be today or in the past", "enquiry_outcome_on")
    if decided_on < enquiry_started_on:
        raise RuleError("Date of the outcome must be on or after the enquiry started "
                        f"({enquiry_started_on.strftime('%-d %B %Y')})", "enquiry_outcome_on")


def conference_is_late(conference_on: date, enquiry_started_on: date) -> bool:
    return conference_on > icpc_due_on(enquiry_started_on)


def check_conference_booking(conference_on: date, enquiry_started_on: date, late_reason: str = "") -> None:
    """A booked conference date: not before the discussion that started the enquiry (1 January 2020 is a typing
    slip, not a conference within 15 working days), and a date after the due date needs the reason."""
    if conference_on < enquiry_started_on:
        raise RuleError("Date of the conference must be on or after the strategy discussion that started the "
                        f"enquiry ({enquiry_started_on.strftime('%-d %B %Y')})", "icpc_date")
    if conference_is_late(conference_on, enquiry_started_on) and not (late_reason or "").strip():
        due = icpc_due_on(enquiry_started_on)
        raise RuleError(f"Enter why the conference is after its due date ({due.strftime('%-d %B %Y')})",
                        "icpc_late_reason")


def check_conference_held(conference_on: date, today: date) -> None:
    """A booked conference is confirmed as held on or after its date, never before it happens."""
    if today < conference_on:
        raise RuleError(f"The conference is booked for {conference_on.strftime('%-d %B %Y')}: confirm it was held "
                        "on or after that date", "icpc_held")


def conference_held_due_at(conference_on: date) -> datetime:
    """A booked conference not confirmed as held is chased from close of business on its date."""
    return _london_instant(conference_on, CLOSE_OF_BUSINESS)


# --- Every derived date from its inputs ----------------------------------------------------------------------


def check_discussion_times(convene_decided_at: datetime, held_at: datetime, ended_at: datetime | None) -> None:
    """The decision to convene is entered, not assumed to be when the record was typed, and comes first; the
    discussion ends after it starts."""
    if held_at < convene_decided_at:
        raise RuleError("The discussion must be held after the decision to convene it", "scheduled_at")
    if ended_at is not None and ended_at <= held_at:
        raise RuleError("Time the discussion ended must be after it started", "ended_at")


@dataclass(frozen=True)
class DiscussionClocks:
    circulation_due_at: datetime
    follow_up_meeting_due_at: datetime | None
    #: the ICPC due date when this discussion started the enquiry, else None (a review inherits, never restarts)
    icpc_due_on: date | None
    icpc_due_at: datetime | None


def discussion_clocks(held_at: datetime, *, circulation_working_days: int = 1, follow_up_asked: bool = False,
                      follow_up_working_days: int = FOLLOW_UP_MEETING_WORKING_DAYS,
                      starts_enquiry: bool = False) -> DiscussionClocks:
    """Every date a discussion's time drives, from that time alone.

    Call it whenever the discussion's date is set or corrected and store all of it: a date corrected from
    1 December to 20 November moves the minutes, the follow-up meeting and the ICPC (22 December to
    11 December) together, rather than only the clock someone remembered to move.
    """
    started_on = london_date_of(held_at)
    return DiscussionClocks(
        circulation_due_at=circulation_due_at(held_at, circulation_working_days),
        follow_up_meeting_due_at=follow_up_meeting_due_at(held_at, follow_up_working_days) if follow_up_asked
        else None,
        icpc_due_on=icpc_due_on(started_on) if starts_enquiry else None,
        icpc_due_at=icpc_due_at(started_on) if starts_enquiry else None,
    )
