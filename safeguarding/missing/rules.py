"""The statutory arithmetic of missing episodes and emergency powers. Pure: no Flask, no database.

Every function takes and returns aware datetimes. "72 hours" is 72 real hours, so it is added to the UTC
instant: a child who returns at 18:00 BST on Friday 23 October 2026 is due their return home interview at
17:00 GMT on Monday 26 October, because the clocks went back in between. Court orders run in days, which a
court means as calendar days on the wall clock, so an EPO granted at 10:00 expires at 10:00 London time.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterable

from ..clock import LONDON, UTC
from ..rule_error import RuleError
from ..workdays import is_public_holiday

#: statutory guidance on children who run away or go missing from home or care (DfE 2014)
RHI_HOURS = 72
#: local practice: a return home interview not yet offered this long after the return reaches a manager while
#: 24 of the 72 hours remain, rather than after they have run out
RHI_ESCALATION_HOURS = 48
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


def rhi_due_at(returned_at: datetime) -> datetime:
    """When the return home interview must have happened: 72 clock hours after the child was found or returned."""
    return _aware(returned_at) + timedelta(hours=RHI_HOURS)


def rhi_in_time(returned_at: datetime, completed_at: datetime) -> bool:
    return _aware(completed_at) <= rhi_due_at(returned_at)


def rhi_escalation_at(returned_at: datetime) -> datetime:
    """When an interview not yet offered reaches a manager: 48 clock hours after the return, 24 hours to go."""
    return _aware(returned_at) + timedelta(hours=RHI_ESCALATION_HOURS)


def rhi_needs_escalation(returned_at: datetime, offered_at: Iterable[datetime], at: datetime) -> bool:
    """Whether a manager must step in at `at`: the 48 hours have passed and no offer was made by then.

    A refused offer counts as an offer: the child was asked, and the worker goes on offering.
    """
    due = rhi_escalation_at(returned_at)
    return _aware(at) >= due and not any(_aware(t) <= due for t in offered_at)


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


def _when(value: datetime) -> str:
    local = _aware(value).astimezone(LONDON)
    return f"{local:%H:%M} on {_day(local.date())}"


def check_offer(returned_at: datetime, offered_at: datetime, now: datetime) -> None:
    if _aware(offered_at) > _aware(now):
        raise RuleError("Time of the offer must be in the past", "offered_time")
    if _aware(offered_at) < _aware(returned_at):
        raise RuleError("Date of the offer must be after the child was found or returned", "offered_date")


def police_protection_breached(started_at: datetime, ended_at: datetime) -> bool:
    """Whether police protection lasted beyond the 72 hours s46(6) allows.

    Such an end is a fact to record as it happened, flagged, never refused: refusing it leaves the protection
    open for ever or forces a false end time, and the breach disappears from the figures.
    """
    return _aware(ended_at) > police_protection_ends_at(started_at)


def check_police_protection_end(started_at: datetime, ended_at: datetime, now: datetime,
                                breach_reason: str = "") -> bool:
    """Check the end of police protection; returns whether it is a breach of the 72 hours.

    An end after 72 hours is accepted with the reason it lasted longer (the reason is what the breach record
    is for); without one it is refused, so a breach is never recorded silently.
    """
    if _aware(ended_at) > _aware(now):
        raise RuleError("Time police protection ended must be in the past", "ended_time")
    if _aware(ended_at) < _aware(started_at):
        raise RuleError("Time police protection ended must be after it began", "ended_date")
    breached = police_protection_breached(started_at, ended_at)
    if breached and not (breach_reason or "").strip():
        raise RuleError("Police protection lasted more than 72 hours: enter why, so the breach is recorded",
                        "breach_reason")
    return breached


def _window_start(now: datetime, window_days: int) -> date:
    return _aware(now).astimezone(LONDON).date() - timedelta(days=window_days)


def episodes_in_window(episode_times: Iterable[datetime], now: datetime, window_days: int) -> list[datetime]:
    """Episodes (by when the child was reported missing) in the last `window_days` London calendar days,
    today included, up to `now`. "30 days" counts days as a carer would: 1 to 30 January, not 1 to 31."""
    cutoff = _window_start(now, window_days)
    moment = _aware(now)
    return sorted(t for t in (_aware(t) for t in episode_times)
                  if t <= moment and t.astimezone(LONDON).date() > cutoff)


def repeat_missing_window(episode_times: Iterable[datetime], episode_at: datetime, threshold: int = 3,
                          window_days: int = 30) -> list[datetime]:
    """The episodes of a `window_days`-day window containing the episode reported missing at `episode_at` that
    holds `threshold` or more episodes (the fullest such window, the earliest of equals), or [].

    Every window that contains the episode is tried, not only the one ending at it: an episode entered late
    (10 November, after 1 and 20 November were recorded) completes three in 20 days, though only one episode
    came before it. `episode_times` includes the episode itself. Days are London calendar days, as a carer
    counts them: 1 to 30 January is 30 days.
    """
    days = sorted((_aware(t).astimezone(LONDON).date(), _aware(t)) for t in episode_times)
    anchor = _aware(episode_at).astimezone(LONDON).date()
    span = timedelta(days=window_days - 1)
    best: list[datetime] = []
    # A fullest window can always be slid to start on an episode's date (or on the episode's own day), so those
    # are the only starts to try.
    for start in sorted({d for d, _ in days if anchor - span <= d <= anchor} | {anchor}):
        inside = [t for d, t in days if start <= d <= start + span]
        if len(inside) >= threshold and len(inside) > len(best):
            best = inside
    return sorted(best)


def is_repeat_missing(episode_times: Iterable[datetime], episode_at: datetime, threshold: int = 3,
                      window_days: int = 30) -> bool:
    """Whether the episode at `episode_at` makes the child missing `threshold` or more times in some window of
    `window_days` days that contains it (3 in 30 by default): the local trigger for a strategy discussion."""
    return bool(repeat_missing_window(episode_times, episode_at, threshold, window_days))


# --- Emergency protection orders (Children Act 1989 s45) -------------------------------------------------------


def _add_days_on_wall_clock(instant: datetime, days: int) -> datetime:
    """The same London wall time `days` calendar days later; of two readings of an ambiguous or missing wall
    time (the October repeated hour, the March gap), the earlier, so an order never runs past what the law allows."""
    local = _aware(instant).astimezone(LONDON).replace(tzinfo=None) + timedelta(days=days)
    return min(local.replace(tzinfo=LONDON, fold=f).astimezone(UTC) for f in (0, 1))


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def epo_latest_end(granted_at: datetime, police_protection_started_at: datetime | None = None) -> datetime:
    """The latest end the law allows for an emergency protection order granted at `granted_at`.

    s45(1): at most 8 days, which the court counts on the wall clock (granted 10:00, ends 10:00 8 days later).
    s45(3): made on the designated officer's application after police protection (s46(7)), the 8 days begin with
    the first day of police protection: that day is day 1, so the order ends at the end of day 8 (midnight).
    s45(2): when the last of the 8 days is a public holiday (Christmas Day, Good Friday, a bank holiday or a
    Sunday), the court may run it to noon on the first later day that is not one.
    """
    if police_protection_started_at is None:
        end = _add_days_on_wall_clock(granted_at, EPO_DAYS)
        # an order ending at midnight has no part of that day: its last day is the one before
        last_day = (end - timedelta(microseconds=1)).astimezone(LONDON).date()
    else:
        if _aware(police_protection_started_at) > _aware(granted_at):
            raise RuleError("Police protection must have begun before the order was granted")
        last_day = _aware(police_protection_started_at).astimezone(LONDON).date() + timedelta(days=EPO_DAYS - 1)
        end = _london_midnight(last_day + timedelta(days=1))
        if end <= _aware(granted_at):
            raise RuleError("The 8 days from the first day of police protection ended before the order was granted")
    if is_public_holiday(last_day):
        day = last_day + timedelta(days=1)
        while is_public_holiday(day):
            day += timedelta(days=1)
        end = datetime.combine(day, time(12, 0), tzinfo=LONDON).astimezone(UTC)
    return end


def check_epo_end(granted_at: datetime, ends_at: datetime, police_protection_started_at: datetime | None = None,
                  ) -> None:
    """The end the court specified: after the grant, and no later than s45 allows."""
    if _aware(ends_at) <= _aware(granted_at):
        raise RuleError("The end of the order must be after it was granted")
    if _aware(ends_at) > epo_latest_end(granted_at, police_protection_started_at):
        latest = epo_latest_end(granted_at, police_protection_started_at).astimezone(LONDON)
        raise RuleError("An emergency protection order can last at most 8 days: the end must be no later than "
                        f"{latest.strftime('%-d %B %Y %H:%M')}")


def epo_extension_latest_end(current_end: datetime, at: datetime) -> datetime:
    """The latest end of an extension applied for at `at`: 7 days after the order's stated end (s45(5)).

    Only an order still in force can be extended (s45(4)-(5)): one that lapsed before `at` is refused, however
    soon after, rather than revived.
    """
    if _aware(at) >= _aware(current_end):
        lapsed = _aware(current_end).astimezone(LONDON)
        raise RuleError(f"This order lapsed at {lapsed.strftime('%H:%M on %-d %B %Y')}: an emergency protection "
                        "order can only be extended while it is in force")
    return _add_days_on_wall_clock(current_end, EPO_MAX_EXTENSION_DAYS)


def check_epo_extension_end(current_end: datetime, new_end: datetime, at: datetime, already_extended: bool) -> None:
    """An extension: once only (s45(6)), while in force, to an end after the current one and at most 7 days on."""
    if already_extended:
        raise RuleError("This order has already been extended: an emergency protection order can be extended "
                        "only once")
    latest = epo_extension_latest_end(current_end, at)
    if _aware(new_end) <= _aware(current_end):
        raise RuleError("The extended end must be after the order's current end")
    if _aware(new_end) > latest:
        raise RuleError("An extension can be at most 7 days: the end must be no later than "
                        f"{latest.astimezone(LONDON).strftime('%-d %B %Y %H:%M')}")


# --- Arrest --------------------------------------------------------------------------------------------------

#: Every arrest of a child prompts MASH to consider a strategy discussion, whatever the answer (the briefing:
#: "whenever a child is arrested"). The exploitation question has no answer set in advance: asked, not assumed.
EXPLOITATION_ANSWERS = {"yes": "Yes", "no": "No", "not_known": "Not known"}


def check_arrest(arrested_at: datetime, exploitation: str | None, now: datetime) -> None:
    if _aware(arrested_at) > _aware(now):
        raise RuleError("Time of the arrest must be in the past")
    if exploitation not in EXPLOITATION_ANSWERS:
        raise RuleError("Select whether there are signs that the child is being exploited")


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


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
