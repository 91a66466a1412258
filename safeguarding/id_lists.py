"""`column IN (ids)` as one parameter on PostgreSQL.

SQLAlchemy sends `column.in_(ids)` as one placeholder per id. A manager's team is a hundred or more people, and My
work's statements name the team in every part (a count of each kind of deadline, each part of the week), so one
statement carried over 1,500 placeholders: psycopg re-parsed each such statement on every request (statements that
long are past its parse cache) for about 4 ms each, a third of the page. PostgreSQL takes the ids as one array
instead (`column = ANY(:ids)`, planned with the same index scans as an IN list); SQLite keeps the IN list.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Integer, any_, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY


def among(column, ids: Iterable[int]):
    """`column` is one of `ids` (a finite collection of integer ids, never a subquery)."""
    from .extensions import db

    values = sorted({int(i) for i in ids})
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, type_=ARRAY(Integer)))
    return column.in_(values)


def among_bound(column, name: str, dialect: str):
    """`column` is one of the ids given as the bound parameter `name` when the statement runs (`ids_value`), for a
    statement built once and kept: one array parameter on PostgreSQL, an IN list expanded per run on SQLite."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def ids_value(ids: Iterable[int]) -> list[int]:
    """The value of an `among_bound` parameter."""
    return sorted({int(i) for i in ids})
