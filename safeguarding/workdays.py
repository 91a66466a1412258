"""Working days in England: Monday to Friday, excluding England & Wales bank holidays.

Pure functions (no Flask, no database) so statutory timescales can be tested alone. The `holidays` package
includes substitute days, e.g. Boxing Day moved to Monday 28 December 2026.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


@lru_cache(maxsize=8192)
def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself is day 0, whatever it is).

    Negative `days` counts backwards. `add_working_days(fri, 1)` is the next Monday unless it is a holiday.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start).

    The inverse of add_working_days: working_days_between(d, add_working_days(d, n)) == n.
    """
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def is_public_holiday(day: date) -> bool:
    """A public holiday as the Children Act 1989 s45(2) defines it: Christmas Day, Good Friday, a bank holiday or
    a Sunday.

    Not the same as a day off work: a Saturday Christmas Day counts (it is Christmas Day), but a Saturday Boxing
    Day or New Year's Day does not, because the bank holiday is the substitute Monday.
    """
    if day.weekday() == 6 or (day.month, day.day) == (12, 25):
        return True
    # Good Friday is always a Friday, so the weekday test keeps it and drops Saturday "holidays"
    return day.weekday() < 5 and is_bank_holiday(day)
