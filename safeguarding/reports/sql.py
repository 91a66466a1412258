"""Two things the figures ask of the database that SQLite and PostgreSQL spell differently.

`london_date(instant)`: the Europe/London calendar date of a stored UTC instant, so a record can be matched to
its day with an equality join. PostgreSQL converts with its own time zone data; SQLite has none, so the app gives
each SQLite connection a small function that converts with Python's (the same rules `clock` uses).

`calendar(name, kinds, rows)`: a small table of dates and instants (a deadline calendar) sent as ONE JSON parameter
and read back as rows (`json_array_elements` / `json_each`). Sent as VALUES, a two-year calendar is thousands of
parameters, and compiling them cost more than the query.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Date, String, column, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..clock import LONDON, UTC
from ..extensions import db
from ..types import UTCDateTime

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLite stores a UTCDateTime (naive UTC)


class london_date(FunctionElement):  # noqa: N801 - reads as the SQL function it is
    type = Date()
    name = "london_date"
    inherit_cache = True


@compiles(london_date, "postgresql")
def _london_date_postgresql(element, compiler, **kw):
    return f"CAST(timezone('Europe/London', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(london_date, "sqlite")
def _london_date_sqlite(element, compiler, **kw):
    return f"london_date({compiler.process(element.clauses, **kw)})"


def london_date_of_stored(value: str | None) -> str | None:
    """SQLite's london_date: a stored UTC instant ('2026-06-30 23:30:00.000000') to its London date."""
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(LONDON).date().isoformat()


@event.listens_for(Engine, "connect")
def _sqlite_functions(dbapi_connection, connection_record):
    if "sqlite" in type(dbapi_connection).__module__:
        dbapi_connection.create_function("london_date", 1, london_date_of_stored, deterministic=True)


def _value(kind: str, value, dialect: str):
    if value is None:
        return None
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else value
    instant = value.astimezone(UTC)
    return instant.strftime(_SQLITE_FORMAT) if dialect == "sqlite" else instant.isoformat()


def calendar(name: str, kinds: dict[str, str], rows: list[tuple]):
    """A CTE `name` with the columns `kinds` (name -> "date" or "instant") holding `rows`."""
    dialect = db.session.get_bind().dialect.name
    names = list(kinds)
    payload = json.dumps([[_value(kinds[n], v, dialect) for n, v in zip(names, row, strict=True)] for row in rows])
    if dialect == "postgresql":
        casts = {"date": "DATE", "instant": "TIMESTAMP WITH TIME ZONE"}
        select_list = ", ".join(f"CAST(r ->> {i} AS {casts[kinds[n]]}) AS {n}" for i, n in enumerate(names))
        # names and casts are the code's own; the rows travel as one bound JSON parameter
        sql = f"SELECT {select_list} FROM json_array_elements(CAST(:{name}_rows AS JSON)) AS r"  # nosec B608
    else:
        select_list = ", ".join(f"json_extract(value, '$[{i}]') AS {n}" for i, n in enumerate(names))
        sql = f"SELECT {select_list} FROM json_each(:{name}_rows)"  # nosec B608
    types = {"date": Date, "instant": UTCDateTime}
    return (text(sql).bindparams(**{f"{name}_rows": payload})
            .columns(*(column(n, types.get(kinds[n], String)) for n in names)).cte(name))
