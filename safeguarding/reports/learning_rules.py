"""The practice-learning figures' rules: quarters, rates, small-number suppression (`..suppression`, shared with
the other figures pages), age bands, deadline calendars.

Pure (no Flask, no database): given counts and dates, produce the numbers the page, the charts and the CSVs show,
so each rule is tested alone and every output suppresses small numbers the same way.
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from typing import Callable, Iterable

# The suppression rules are shared with the other figures pages; these names are the report's own as well.
from ..suppression import (SUPPRESS_BELOW, SUPPRESSED, SUPPRESSION_NOTE, Figure, adds_up_to_period,  # noqa: F401
                           is_suppressed, percent, shown, trend_texts, withheld)
from ..periods import TREND_QUARTERS, Quarter, quarter_of, trend_quarters  # noqa: F401


# --- Age bands (the children in need census's bands, with unborn children on their own) -------------------------

AGE_BANDS = [("unborn", "Unborn"), ("under_1", "Under 1"), ("1_4", "1 to 4"), ("5_9", "5 to 9"),
             ("10_15", "10 to 15"), ("16_plus", "16 and over"), ("not_known", "Not known")]


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(born: date | None, unborn: bool, on: date) -> str:
    """A child's age band on `on` (the end of the period: the census counts ages on one day)."""
    if unborn:
        return "unborn"
    if born is None:
        return "not_known"
    age = age_on(born, on)
    if age < 1:
        return "under_1"
    for key, top in (("1_4", 4), ("5_9", 9), ("10_15", 15)):
        if age <= top:
            return key
    return "16_plus"


def tally(pairs: Iterable[tuple[str, int]], keys: Iterable[str]) -> list[tuple[str, int]]:
    """Counts added up by key, every key listed (a zero is a finding), in the order given."""
    totals = dict.fromkeys(keys, 0)
    for key, count in pairs:
        totals[key] = totals.get(key, 0) + count
    return list(totals.items())


# --- Deadline calendars ---------------------------------------------------------------------------------------


def working_day_deadlines(first: date, last: date, days: int, is_working_day: Callable[[date], bool]
                         ) -> dict[date, date]:
    """For every day from `first` to `last`, the date `days` working days after it (workdays.add_working_days), in
    one pass over the calendar rather than one walk per day."""
    working: list[date] = []
    day, after_last = first, 0
    while after_last < days:  # enough working days for the last day's deadline
        day += timedelta(days=1)
        if is_working_day(day):
            working.append(day)
            after_last += day > last
    out = {}
    for n in range((last - first).days + 1):
        start = first + timedelta(days=n)
        out[start] = working[bisect_right(working, start) + days - 1] if days else start
    return out
