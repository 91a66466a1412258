"""When a deadline's reminders fire: pure rules, free of Flask and the database.

A reminder has a level, and each level is a condition that becomes true at one instant and stays true:
- `before`: `remind_hours_before` clock hours before the due time (only while it is not yet due);
- `due`: at the due time;
- `escalation`: `escalate_after_working_days` working days after the due time, at the same London wall-clock
  time, to the owner's line manager.
The sweep fires a level when its condition is true and no row for it exists yet (the outbox's unique key), so
each fires once, on the false -> true transition, however often or late the sweep runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..clock import LONDON, UTC, ensure_utc, to_london
from ..workdays import add_working_days, is_working_day

BEFORE, DUE, ESCALATION, DIGEST = "before", "due", "escalation", "digest"
#: a one-off notice that is not a deadline (e.g. agreed minutes circulated to you)
NOTICE = "notice"
LEVELS = (BEFORE, DUE, ESCALATION)
LEVEL_LABELS = {
    BEFORE: "Due soon",
    DUE: "Overdue",
    ESCALATION: "Escalated to you",
    DIGEST: "Daily summary",
    NOTICE: "For your information",
}


@dataclass(frozen=True)
class RuleSettings:
    """What a reminder rule says, whether it came from the table or the defaults."""

    remind_hours_before: int | None = 24
    remind_at_due: bool = True
    escalate_after_working_days: int | None = 2
    in_digest: bool = True
    is_active: bool = True


#: Defaults per kind, used the first time the sweep meets a kind (it then stores them as a row admins can see).
#: Short statutory clocks get a shorter lead, and escalate after 0 working days (the manager hears at the due
#: time itself): two working days overdue would be long after police protection or an EPO has lapsed.
DEFAULTS: dict[str, RuleSettings] = {
    "agreed_action": RuleSettings(24, True, 2, True),
    "minutes_circulation": RuleSettings(4, True, 1, True),
    # booking checkpoints do the early warning, so the due date itself needs no 3-day lead
    "icpc_request": RuleSettings(None, True, 1, True),
    "icpc_booking": RuleSettings(None, True, 0, True),
    "icpc": RuleSettings(72, True, 1, True),
    "icpc_held": RuleSettings(None, True, 1, True),
    "follow_up_meeting": RuleSettings(24, True, 1, True),
    "assessment": RuleSettings(72, True, 2, True),
    # the manager hears while the 72 hours still run (48 hours, nothing offered) and again at the end, not days later
    "return_interview_48h": RuleSettings(None, True, 0, True),
    "return_interview": RuleSettings(24, True, 0, True),
    # the missing feature's own early warnings (48 hours in, 6 hours left): remind at once, no second lead
    "police_protection_48h": RuleSettings(None, True, None, True),
    "police_protection_66h": RuleSettings(None, True, 0, True),
    "police_protection": RuleSettings(6, True, 0, True),
    "epo_expiry": RuleSettings(48, True, 0, True),
}
FALLBACK = RuleSettings(24, True, 2, True)


def default_for(kind: str) -> RuleSettings:
    return DEFAULTS.get(kind, FALLBACK)


#: How emails count each kind: (one, many). Kinds not listed are counted as "<label> (n)", never mis-pluralised.
NOUNS: dict[str, tuple[str, str]] = {
    "agreed_action": ("agreed action", "agreed actions"),
    "minutes_circulation": ("set of minutes to circulate", "sets of minutes to circulate"),
    "icpc": ("initial child protection conference to book", "initial child protection conferences to book"),
    "icpc_request": ("initial child protection conference to request",
                     "initial child protection conferences to request"),
    "icpc_booking": ("initial child protection conference not yet booked",
                     "initial child protection conferences not yet booked"),
    "still_to_decide": ("decision with answers still to decide", "decisions with answers still to decide"),
    "icpc_held": ("initial child protection conference to confirm as held",
                  "initial child protection conferences to confirm as held"),
    "follow_up_meeting": ("strategy meeting to convene", "strategy meetings to convene"),
    "assessment": ("child and family assessment to complete", "child and family assessments to complete"),
    "return_interview_48h": ("return home interview not yet offered", "return home interviews not yet offered"),
    "return_interview": ("return home interview", "return home interviews"),
    "police_protection": ("police protection ending", "police protections ending"),
    "epo_expiry": ("emergency protection order expiring", "emergency protection orders expiring"),
    "difference_stage": ("professional difference stage to resolve or escalate",
                         "professional difference stages to resolve or escalate"),
    "difference_response": ("professional difference to respond to", "professional differences to respond to"),
    "difference_notice": ("professional difference to read", "professional differences to read"),
    "minutes_circulated": ("set of strategy discussion minutes", "sets of strategy discussion minutes"),
    "action_assigned": ("agreed action now yours", "agreed actions now yours"),
    "email_failed": ("delivery problem", "delivery problems"),
}


def counted(kind: str, count: int, label: str | None = None) -> str:
    """'2 agreed actions', '1 agreed action', or for a kind without nouns '2 × Police protection: 48 hours'."""
    if kind in NOUNS:
        one, many = NOUNS[kind]
        return f"{count} {one if count == 1 else many}"
    return f"{count} × {label or kind.replace('_', ' ')}"


def escalation_at(due_at: datetime, working_days: int) -> datetime:
    """The instant `working_days` working days after `due_at`, at the same London wall-clock time, never before
    `due_at`.

    Due Friday 17:00 with 2 working days -> Tuesday 17:00 (Wednesday after a bank holiday Monday). The wall-clock
    time is kept across a clock change, so the manager hears at the hour the owner was due, not an hour off.
    With 0 working days the due instant itself is returned: rebuilding the wall time would read the second
    01:30 of an October night as the first, an hour before the owner was even due.
    """
    due = ensure_utc(due_at)
    if working_days <= 0:
        return due
    local = to_london(due)
    day = add_working_days(local.date(), working_days)
    # Of the readings of an ambiguous wall time, the earliest that is not before the due time.
    wall = datetime(day.year, day.month, day.day, local.hour, local.minute, tzinfo=LONDON)
    readings = sorted({wall.replace(fold=f).astimezone(UTC) for f in (0, 1)})
    return next((r for r in readings if r >= due), max(readings[-1], due))


def fire_instants(due_at: datetime, rule: RuleSettings) -> dict[str, datetime]:
    """Each level this rule uses -> the instant its condition becomes true."""
    instants: dict[str, datetime] = {}
    if not rule.is_active:
        return instants
    if rule.remind_hours_before:
        instants[BEFORE] = due_at - timedelta(hours=rule.remind_hours_before)
    if rule.remind_at_due:
        instants[DUE] = due_at
    if rule.escalate_after_working_days is not None:
        instants[ESCALATION] = escalation_at(due_at, rule.escalate_after_working_days)
    return instants


def levels_true_at(due_at: datetime, rule: RuleSettings, now: datetime) -> list[str]:
    """Levels whose condition holds at `now`. `before` stops holding once the deadline is due: a deadline first
    seen late is chased as overdue, not also as "due soon"."""
    levels = []
    for level, instant in fire_instants(due_at, rule).items():
        if now < instant:
            continue
        if level == BEFORE and now >= due_at:
            continue
        levels.append(level)
    return levels


def digest_day(now: datetime, hour: int) -> date | None:
    """The London date whose daily summary is due at `now`, or None (weekend, bank holiday, before the hour)."""
    local = to_london(now)
    if not is_working_day(local.date()) or local.hour < hour:
        return None
    return local.date()


def backoff(attempts: int) -> timedelta:
    """Wait before the next delivery attempt: 1, 2, 4, ... minutes, at most 1 hour (a relay that is down for
    maintenance is tried again within the hour; a long queue never hammers it)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))
