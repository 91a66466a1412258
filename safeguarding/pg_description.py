"""A psycopg cursor whose `description` is built only when something reads it.

SQLAlchemy asks every cursor for its `description` after each statement, but for a compiled statement it has run
before it keeps the result's columns from the first time and only checks that a description exists (is not None).
psycopg builds a fresh `Column` for every column of every result whenever it is asked (decoding the name, looking up
the type): for an ORM statement with joined loads that is 50 columns, and 5% of a list page's Python went on
descriptions nobody read. This cursor answers with a sequence of the same `Column`s, made on first read from the
result the statement returned (not whatever the cursor holds by then), so anything that does read it sees what
psycopg would have given.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    import psycopg
    from psycopg import Column
    from psycopg.pq import ExecStatus
except ImportError:  # SQLite-only installs
    psycopg = None

#: what psycopg's own `description` checks: a result that returned rows, even with no columns ("SELECT ;")
_ROWS = ()
if psycopg is not None:
    _ROWS = tuple(getattr(ExecStatus, name) for name in ("TUPLES_OK", "SINGLE_TUPLE", "TUPLES_CHUNK")
                  if hasattr(ExecStatus, name))


class _ResultOf:
    """What `Column` reads from a cursor, fixed at the moment the description was asked for."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, cursor):
        self.pgresult, self._encoding, self.adapters = cursor.pgresult, cursor._encoding, cursor.adapters


class LazyDescription(Sequence):
    __slots__ = ("_source", "_count", "_columns")

    def __init__(self, cursor, count: int):
        self._source, self._count, self._columns = _ResultOf(cursor), count, None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if self._columns is None:
            self._columns = [Column(self._source, n) for n in range(self._count)]  # type: ignore[arg-type]
        return self._columns[index]

    def __eq__(self, other: Any) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))


if psycopg is not None:
    class LazyDescriptionCursor(psycopg.Cursor):
        @property
        def description(self):
            result = self.pgresult
            if result and (result.nfields or result.status in _ROWS):
                return LazyDescription(self, result.nfields)
            return None
else:  # pragma: no cover - SQLite-only installs
    LazyDescriptionCursor = None
