"""What a flush is writing, read in mapper events: the values of a key column of a row being inserted, changed or
deleted, for tables kept from other tables' rows (children's links, open deadlines) to know what to rebuild."""
from __future__ import annotations

from sqlalchemy import inspect, select


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
