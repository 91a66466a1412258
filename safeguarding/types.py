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


def one_of(column: str, values, name: str | None = None):
    """A CHECK constraint that `column` holds one of `values` (an enum, or (value, label) pairs, or strings), so a
    status or answer the code does not know can never be stored, whoever writes to the database."""
    from sqlalchemy import CheckConstraint

    allowed = []
    for value in values:
        value = value[0] if isinstance(value, tuple) else getattr(value, "value", value)
        allowed.append("'" + str(value).replace("'", "''") + "'")
    return CheckConstraint(f"{column} IN ({', '.join(sorted(set(allowed)))})", name=name or f"{column}_allowed")
