"""What a flush is writing, read in mapper events: the values of a key column of a row being inserted, changed or
deleted, for tables kept from other tables' rows (children's links, open deadlines) to know what to rebuild."""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import object_session


def written_keys(mapper, connection, obj, key: str, attrs: tuple[str, ...] | None, *, changed_only: bool,
                 stored: bool) -> set[int]:
    """The values of `key` of a row being written, or none if none of `attrs` changed (`changed_only`, for an
    update; `attrs` None: any column). `stored`: the row is still in the database as it was (before an update or
    a delete), so its stored key is read too: the old value of a key that changes, or a key the session never loaded
    (an expired object whose other column was set) is otherwise unknown here."""
    state = inspect(obj)
    if changed_only:
        names = attrs if attrs is not None else [a.key for a in mapper.column_attrs]
        if not any(state.attrs[name].history.has_changes() for name in names):
            return set()
    history = state.attrs[key].history
    values = set(history.added or ()) | set(history.deleted or ()) | set(history.unchanged or ())
    if stored and state.identity is not None:
        column = mapper.columns[key]
        values.add(connection.execute(select(column).where(mapper.primary_key[0] == state.identity[0])).scalar())
    return {value for value in values if value is not None}


def listen_for_writes(models: Iterable[type], on_insert: Callable, on_update: Callable, on_delete: Callable) -> None:
    """Mapper events on each model: after a row is inserted, before one is updated or deleted (the stored row is
    still there to read). Installed once whatever the number of calls."""
    for model in models:
        for name, listener in (("after_insert", on_insert), ("before_update", on_update),
                               ("before_delete", on_delete)):
            if not event.contains(model, name, listener):
                event.listen(model, name, listener)


def noting(watches: dict[type, list], pending: str, *, changed_only: bool, stored: bool) -> Callable:
    """A mapper event listener noting, in `session.info[pending]`, the key values of a row the flush is writing, for
    each of its model's `watches` (each with `.key` and `.attrs`). Mapper events, not the session's lists of new,
    dirty and deleted objects: an orphan (a child taken off a discussion) is deleted by the flush itself and is in
    none of them."""
    def note(mapper, connection, target) -> None:
        session = object_session(target)
        if session is None:
            return
        for watch in watches.get(type(target), ()):
            found = written_keys(mapper, connection, target, watch.key, watch.attrs, changed_only=changed_only,
                                 stored=stored)
            if found:
                session.info.setdefault(pending, {}).setdefault(watch, set()).update(found)

    return note
