"""How many rows meet a condition, as one aggregate column (counts by kind, by part of the week, by outcome)."""
from __future__ import annotations

from sqlalchemy import func


def count_where(condition):
    """COUNT(*) FILTER (WHERE condition): PostgreSQL and SQLite 3.30+ alike, 0 when no row meets it. A third of the
    expression that COALESCE(SUM(CASE WHEN ... THEN 1 ELSE 0 END), 0) is, and My work builds dozens a request."""
    return func.count().filter(condition)
