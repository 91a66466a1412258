"""Column types shared by every feature."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from .clock import ensure_utc


class UTCDateTime(TypeDecorator):
    """Timezone-aware instants, stored as UTC on both SQLite and PostgreSQL.

    SQLite has no time zones and hands back naive values; this type always returns aware UTC datetimes and
    refuses naive input, so local wall-clock times can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use clock.now() or an aware value")
        value = ensure_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return ensure_utc(value)
