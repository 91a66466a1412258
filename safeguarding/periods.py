"""The reporting period: pure date arithmetic, no Flask or database."""
from __future__ import annotations

from datetime import date, timedelta

#: a longer period makes the page slow and the figures meaningless for comparison
MAX_PERIOD_DAYS = 3 * 366


def last_full_quarter(today: date) -> tuple[date, date]:
    """The calendar quarter before the one `today` is in: partnerships report by quarter."""
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = first_of_quarter - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
