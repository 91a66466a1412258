"""The practice-learning figures' rules: quarters, rates, small-number suppression, age bands, deadline calendars.

Pure (no Flask, no database): given counts and dates, produce the numbers the page, the charts and the CSVs show,
so each rule is tested alone and every output suppresses small numbers the same way.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterable

#: counts from 1 to SUPPRESS_BELOW - 1 are withheld, as official statistics do (never 0: a zero is a finding)
SUPPRESS_BELOW = 5
#: what a withheld number shows (the Government Statistical Service's symbol for "confidential")
SUPPRESSED = "[c]"
SUPPRESSION_NOTE = ("[c] means a number from 1 to 4, withheld (with any percentage worked out from it) so that "
                    "no child can be recognised from these figures, as official statistics do. Where it could be "
                    "worked out from a total, a second number is withheld with it.")
TREND_QUARTERS = 8
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def is_suppressed(count: int | None) -> bool:
    return count is not None and 0 < count < SUPPRESS_BELOW


def shown(count: int | None) -> str:
    """A count as every output shows it: the number, or [c] when it is small enough to identify a child."""
    if count is None:
        return "–"
    return SUPPRESSED if is_suppressed(count) else str(count)


def withheld(counts: list[int]) -> list[bool]:
    """Which counts of a breakdown (groups that add up to a total the table gives away) are withheld: each from 1 to
    4 and, when that withholds just one, the smallest other count above 0 as well, so the one cannot be worked out
    by taking the others from the total (secondary suppression)."""
    hidden = [is_suppressed(n) for n in counts]
    if sum(hidden) == 1:
        others = [(n, i) for i, n in enumerate(counts) if n > 0 and not hidden[i]]
        if others:
            hidden[min(others)[1]] = True
    return hidden


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


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class Figure:
    """How many of the `counted` records met the standard (`met`)."""

    met: int = 0
    counted: int = 0

    @property
    def suppressed(self) -> bool:
        # Either number small enough to identify a child withholds the rate too: 3 of 4 is as telling as 3.
        return is_suppressed(self.met) or is_suppressed(self.counted)

    @property
    def rate(self) -> int | None:
        """The percentage to show, or None when there is nothing to show (no records, or withheld)."""
        return None if self.suppressed else percent(self.met, self.counted)

    @property
    def rate_text(self) -> str:
        if not self.counted:
            return "No records"
        return SUPPRESSED if self.suppressed else f"{self.rate}%"

    @property
    def text(self) -> str:
        """For example "12 of 40 (30%)", "[c] of 40 ([c])" or "No records"."""
        if not self.counted:
            return "No records"
        return f"{shown(self.met)} of {shown(self.counted)} ({self.rate_text})"


@dataclass(frozen=True)
class Quarter:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{_MONTHS[self.start.month - 1]} to {_MONTHS[self.end.month - 1]} {self.end.year}"

    @property
    def short_label(self) -> str:
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"


def quarter_of(day: date) -> Quarter:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    next_start = date(start.year + (start.month == 10), (start.month + 3 - 1) % 12 + 1, 1)
    return Quarter(start, next_start - timedelta(days=1))


def trend_quarters(end: date, count: int = TREND_QUARTERS) -> list[Quarter]:
    """The `count` calendar quarters ending with the one `end` is in, oldest first."""
    quarters = [quarter_of(end)]
    while len(quarters) < count:
        quarters.insert(0, quarter_of(quarters[0].start - timedelta(days=1)))
    return quarters


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
