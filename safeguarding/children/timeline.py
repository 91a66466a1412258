"""A child's timeline: what every feature knows about the child, newest first, a page at a time.

Each feature with something to show provides `safeguarding/<feature>/timeline.py`, registered when the app is created
(`register_timeline`). A provider gives its entries in one of two ways (or both):

- `timeline_shape(child, user) -> (shape, params)` and `timeline_selects(shape) -> list[Select]`: one SELECT per kind
  of entry, each built with `columns(...)` (when, which record, and the few codes and words its entry shows) and
  with bound parameters, not values (`CHILD` for the child's id; the provider's own names, in `params`, for the
  rest); `shape` (hashable) says which SELECTs this child and person need: a value, or a person's scope clause
  (`per_person`: the same object on each of their requests, so it is only ever compared with itself) for SELECTs
  that scope their rows in SQL (`discussions/timeline.py`). With `timeline_entry(row, child) ->
  TimelineEntry` to turn a row back into an entry. The timeline runs every provider's SELECTs as ONE statement
  (UNION ALL, newest first, limited to the page), so a child's page costs one statement for all of them, however
  many kinds and however long the history; and the statement is built once per combination of shapes, not per
  page (building it, seven SELECTs of nine columns, cost more than running it). The child is one `user` may see
  (the caller has checked, as `presence.visible_child` does); a provider scopes what it adds beyond that (a
  discussion the user is not involved in), by the values it puts in `params` or by its shape (the person's scope).
- `entries(child, user, newest) -> list[TimelineEntry]`: for records the child's page reads whole anyway (its
  missing episodes and differences are shown in their own sections too): at least every one of its own entries
  among its `newest` newest (None: all).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (Date, Integer, String, Text, bindparam, cast, literal, literal_column, null, type_coerce,
                        union_all)

from ..extensions import db
from ..types import UTCDateTime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # shown as a tag: "Strategy discussion", "Decision", "Agreed action", "Missing episode", ...
    title: str
    detail: str = ""
    url: str | None = None


def columns(source: str, at, record_id, *, ref=None, code=None, code2=None, code3=None, words=None, day=None):
    """The columns of one kind of timeline row, the same in every provider's SELECT (a UNION needs one shape):
    `source` says which kind it is (the provider's own name for it), `at` when, `record_id` which record, and the
    rest whatever the provider's entry shows (`ref` another record's id, `code*` short codes, `words` text,
    `day` a date). Unused ones are typed NULLs."""
    def given(value, type_):
        return cast(null(), type_) if value is None else value

    return [literal(source, String).label("source"), type_coerce(at, UTCDateTime()).label("at"),
            record_id.label("record_id"), given(ref, Integer).label("ref"), given(code, String).label("code"),
            given(code2, String).label("code2"), given(code3, String).label("code3"),
            given(words, Text).label("words"), given(day, Date).label("day")]


#: the child's id in a provider's SELECTs (the timeline gives its value)
CHILD = bindparam("timeline_child", type_=Integer)
_NEWEST = bindparam("timeline_newest", type_=Integer)

_PROVIDERS: list = []


def register_timeline(module) -> None:
    if module not in _PROVIDERS:
        _PROVIDERS.append(module)


def _providers():
    return tuple(_PROVIDERS)


PER_PAGE = 25


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    #: older entries follow this page
    more: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@functools.lru_cache(maxsize=256)
def _statement(shapes: tuple, limited: bool):
    """The UNION of the providers' SELECTs for these shapes, newest first, and which provider each part is of:
    built once per combination (statements are immutable; the values come with each execution). A shape may be a
    person's scope clause (the same object on each of their requests), so a combination is kept per person: as many
    as `auth.access` keeps statements per person's scope (SCOPED_KEPT), for the people using a worker now."""
    parts, owners = [], []
    for provider, shape in shapes:
        for select in provider.timeline_selects(shape):
            # which part a row came from, so it goes back to its provider (and equal times keep the parts' order)
            parts.append(select.add_columns(literal(len(parts), Integer).label("part")))
            owners.append(provider)
    if not parts:
        return None, ()
    # By the columns' names, not a subquery's: building a subquery's column collection cost more than the query.
    # The database sorts the child's own rows (their history, not the partnership's) and keeps the page's newest.
    query = union_all(*parts).order_by(literal_column("at").desc(), literal_column("part"),
                                       literal_column("record_id").desc())
    return (query.limit(_NEWEST) if limited else query), tuple(owners)


def _rows(child, user, newest: int | None) -> dict:
    """Every provider's timeline rows in one statement, newest first (the page's `newest` of them), by provider."""
    shapes, params = [], {"timeline_child": child.id}
    for provider in _providers():
        if hasattr(provider, "timeline_shape"):
            shape, values = provider.timeline_shape(child, user)
            shapes.append((provider, shape))
            params.update(values)
    query, owners = _statement(tuple(shapes), newest is not None)
    if query is None:
        return {}
    if newest is not None:
        params["timeline_newest"] = newest
    found: dict = {}
    for row in db.session.execute(query, params):
        found.setdefault(owners[row.part], []).append(owners[row.part].timeline_entry(row, child))
    return found


def timeline(child, user, newest: int | None = None) -> list[TimelineEntry]:
    """The child's timeline newest first: all of it, or (`newest`) its `newest` newest entries."""
    entries = [TimelineEntry(at=child.created_at, kind="Record", title="Child's record created")]
    for adversity in child.adversities:
        by = f"Reported by {adversity.recorded_by.name}" if adversity.recorded_by else ""
        entries.append(TimelineEntry(at=adversity.recorded_at, kind="Family adversity", title=adversity.label,
                                     detail=by))
    read_together = _rows(child, user, newest)
    for provider in _providers():  # in the order they registered: entries at the same moment keep it
        entries.extend(read_together.get(provider, ()))
        if hasattr(provider, "entries"):
            entries.extend(provider.entries(child, user, newest))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries if newest is None else entries[:newest]


def timeline_page(child, user, number: int, per_page: int = PER_PAGE) -> TimelinePage:
    """Page `number` of the timeline: each provider reads up to the end of that page (and one more, to know
    whether older entries follow), never the whole history."""
    start = (number - 1) * per_page
    entries = timeline(child, user, newest=start + per_page + 1)
    return TimelinePage(entries=entries[start:start + per_page], number=number, more=len(entries) > start + per_page)
