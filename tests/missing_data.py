"""Building blocks for the missing-children tests: London wall times and the date/time fields the forms post."""
from __future__ import annotations

from datetime import datetime

from safeguarding.clock import LONDON


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def when(prefix: str, moment: datetime) -> dict:
    local = moment.astimezone(LONDON)
    return {f"{prefix}_date": [str(local.day), str(local.month), str(local.year)],
            f"{prefix}_time": local.strftime("%H:%M")}
