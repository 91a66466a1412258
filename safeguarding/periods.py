"""The reporting period: pure date arithmetic, no Flask or database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: a longer period makes the page slow and the figures meaningless for comparison
MAX_PERIOD_DAYS = 3 * 366
#: how many quarters a trend shows
TREND_QUARTERS = 8
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def last_full_quarter(today: date) -> tuple[date, date]:
    """The calendar quarter before the one `today` is in: partnerships report by quarter."""
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_of_quarter - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


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
