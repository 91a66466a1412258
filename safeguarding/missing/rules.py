"""The statutory arithmetic of missing episodes and emergency powers. Pure: no Flask, no database.

Every function takes and returns aware datetimes. "72 hours" is 72 real hours, so it is added to the UTC
instant: a child who returns at 18:00 BST on Friday 23 October 2026 is due their return home interview at
17:00 GMT on Monday 26 October, because the clocks went back in between. Court orders run in days, which a
court means as calendar days on the wall clock, so an EPO granted at 10:00 expires at 10:00 London time.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from ..rule_error import RuleError

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc

#: statutory guidance on children who run away or go missing from home or care (DfE 2014)
RHI_HOURS = 72
#: Children Act 1989 s46(6): no child may be kept in police protection for more than 72 hours
POLICE_PROTECTION_HOURS = 72
#: local practice: the designated officer is chased at 48 hours (plan the end) and at 66 (six hours left)
POLICE_PROTECTION_CHECKPOINTS = (48, 66)
#: Children Act 1989 s45(1) and s45(5)-(6): at most 8 days, extendable once by at most 7
EPO_DAYS = 8
EPO_MAX_EXTENSION_DAYS = 7


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return value.astimezone(UTC)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _when(value: datetime) -> str:
    local = _aware(value).astimezone(LONDON)
    return f"{local:%H:%M} on {_day(local.date())}"


def check_after_birth(moment: datetime, date_of_birth: date | None, is_unborn: bool, what: str,
                      field: str | None = None) -> None:
    """Nothing happens to a child before they are born: a report "in 1066", or before the date of birth, is a
    typing mistake that would otherwise spread into counts, clocks and reports.

    `what` names the date in the user's words ("Date reported missing"); the message names the other date."""
    if is_unborn:
        raise RuleError(f"{what} cannot be before the child is born: this child is recorded as unborn. Add their "
                        "date of birth to their record first", field)
    if date_of_birth is not None and _aware(moment).astimezone(LONDON).date() < date_of_birth:
        raise RuleError(f"{what} must be the same as or after the child's date of birth, {_day(date_of_birth)}",
                        field)


def check_not_future(moment: datetime, now: datetime, what: str, field: str | None = None) -> None:
    if _aware(moment) > _aware(now):
        raise RuleError(f"{what} must be in the past", field)


def overlapping(start: datetime, periods: Iterable[tuple[datetime, datetime | None]]) -> tuple | None:
    """The first (start, end) period that `start` falls in; an open period (end None) covers everything after
    its start."""
    moment = _aware(start)
    for began, ended in periods:
        if ended is None or _aware(began) <= moment < _aware(ended):
            return began, ended
    return None


def rhi_due_at(returned_at: datetime) -> datetime:
    """When the return home interview must have happened: 72 clock hours after the child was found or returned."""
    return _aware(returned_at) + timedelta(hours=RHI_HOURS)


def rhi_in_time(returned_at: datetime, completed_at: datetime) -> bool:
    return _aware(completed_at) <= rhi_due_at(returned_at)


def police_protection_ends_at(started_at: datetime) -> datetime:
    """The latest moment police protection can last: 72 clock hours after it began."""
    return _aware(started_at) + timedelta(hours=POLICE_PROTECTION_HOURS)


def police_protection_checkpoints(started_at: datetime) -> list[tuple[int, datetime]]:
    """(hours, instant) for each checkpoint before the end, then (72, the end)."""
    start = _aware(started_at)
    points = [(h, start + timedelta(hours=h)) for h in POLICE_PROTECTION_CHECKPOINTS]
    return points + [(POLICE_PROTECTION_HOURS, police_protection_ends_at(start))]


def epo_expires_at(granted_at: datetime, extension_days: int = 0) -> datetime:
    """When an emergency protection order ends: 8 calendar days after it was granted, plus any one extension."""
    if extension_days < 0 or extension_days > EPO_MAX_EXTENSION_DAYS:
        raise RuleError(f"An extension must be between 1 and {EPO_MAX_EXTENSION_DAYS} days", "days")
    local = _aware(granted_at).astimezone(LONDON).replace(tzinfo=None)
    ends = local + timedelta(days=EPO_DAYS + extension_days)
    return ends.replace(tzinfo=LONDON).astimezone(UTC)


def check_epo_extension(already_extended: bool, extension_days: int) -> None:
    """An EPO may be extended once only, by at most 7 days (s45(5)-(6))."""
    if already_extended:
        raise RuleError("This order has already been extended: an emergency protection order can be extended "
                        "only once", "days")
    if extension_days < 1 or extension_days > EPO_MAX_EXTENSION_DAYS:
        raise RuleError(f"Extension must be between 1 and {EPO_MAX_EXTENSION_DAYS} days", "days")


def check_return(reported_missing_at: datetime, returned_at: datetime, now: datetime) -> None:
    if _aware(returned_at) > _aware(now):
        raise RuleError("Time found or returned must be in the past", "returned_time")
    if _aware(returned_at) < _aware(reported_missing_at):
        raise RuleError("Date found or returned must be after the child was reported missing, "
                        f"{_when(reported_missing_at)}", "returned_date")


def check_offer(returned_at: datetime, offered_at: datetime, now: datetime) -> None:
    if _aware(offered_at) > _aware(now):
        raise RuleError("Time of the offer must be in the past", "offered_time")
    if _aware(offered_at) < _aware(returned_at):
        raise RuleError("Date of the offer must be after the child was found or returned", "offered_date")


def check_police_protection_end(started_at: datetime, ended_at: datetime, now: datetime) -> None:
    if _aware(ended_at) > _aware(now):
        raise RuleError("Time police protection ended must be in the past")
    if _aware(ended_at) < _aware(started_at):
        raise RuleError("Time police protection ended must be after it began")
    if _aware(ended_at) > police_protection_ends_at(started_at):
        raise RuleError("Police protection cannot last more than 72 hours: the time it ended must be no later "
                        "than 72 hours after it began")


def _window_start(now: datetime, window_days: int) -> date:
    return _aware(now).astimezone(LONDON).date() - timedelta(days=window_days)


def episodes_in_window(episode_times: Iterable[datetime], now: datetime, window_days: int) -> list[datetime]:
    """Episodes (by when the child was reported missing) in the last `window_days` London calendar days,
    today included, up to `now`. "30 days" counts days as a carer would: 1 to 30 January, not 1 to 31."""
    cutoff = _window_start(now, window_days)
    moment = _aware(now)
    return sorted(t for t in (_aware(t) for t in episode_times)
                  if t <= moment and t.astimezone(LONDON).date() > cutoff)


def is_repeat_missing(episode_times: Iterable[datetime], now: datetime, threshold: int = 3,
                      window_days: int = 30) -> bool:
    """Whether the child has gone missing `threshold` or more times in the last `window_days` days: the local
    trigger for a strategy discussion (3 in 30 by default)."""
    return len(episodes_in_window(episode_times, now, window_days)) >= threshold
