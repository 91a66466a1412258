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
from ..suppression import (SUPPRESS_BELOW, SUPPRESSED, SUPPRESSION_NOTE, Figure, is_suppressed, percent,  # noqa: F401
                           shown, withheld)
from ..periods import TREND_QUARTERS, Quarter, quarter_of, trend_quarters  # noqa: F401



def trend_texts(figures: list["Figure"], adds_up: list[bool] | None = None
                ) -> list[tuple[str, str, str, int | None]]:
    """(met, counted, rate, the rate to draw or None) for each quarter of a trend. The quarters marked in `adds_up`
    add up to the period's figure shown above them (the period is exactly those quarters), so among them counts are
    withheld as a breakdown's are (`withheld`); a rate is withheld with either of its counts."""
    adds_up = adds_up or [False] * len(figures)
    hidden_met = [is_suppressed(f.met) for f in figures]
    hidden_counted = [is_suppressed(f.counted) for f in figures]
    inside = [i for i, flag in enumerate(adds_up) if flag]
    for hidden, values in ((hidden_met, [f.met for f in figures]), (hidden_counted, [f.counted for f in figures])):
        for i, flag in zip(inside, withheld([values[i] for i in inside]), strict=True):
            hidden[i] = hidden[i] or flag
    out = []
    for f, no_met, no_counted in zip(figures, hidden_met, hidden_counted, strict=True):
        met = SUPPRESSED if no_met else str(f.met)
        counted = SUPPRESSED if no_counted else str(f.counted)
        if not f.counted:
            out.append((met, counted, "–", None))
        elif no_met or no_counted:
            out.append((met, counted, SUPPRESSED, None))
        else:
            out.append((met, counted, f"{percent(f.met, f.counted)}%", percent(f.met, f.counted)))
    return out


def adds_up_to_period(quarters: list["Quarter"], start: date, end: date) -> list[bool]:
    """Which quarters add up to the period's figure: all those inside it, when it is exactly whole quarters."""
    inside = [start <= q.start and q.end <= end for q in quarters]
    covered = [q for q, flag in zip(quarters, inside, strict=True) if flag]
    exact = bool(covered) and covered[0].start == start and covered[-1].end == end
    return inside if exact else [False] * len(quarters)


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
