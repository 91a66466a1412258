"""Statements built once and used again while the objects they are built from are the very same ones.

SQLAlchemy works out a statement's cache key (a walk of its whole tree) on each execution of a statement object it
has not seen, and keeps it with the object; a scope clause, kept per person, makes that tree large. So a statement
built from kept objects is kept too: `auth.access.scoped` (a scope and fixed pieces) and `pagination.paginate`
(a kept list's page and count) each keep theirs in a store of their own.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Callable


def kept(store: OrderedDict, lock: Lock, limit: int, build: Callable, parts: tuple, values: tuple = ()):
    """`build(*parts, *values)`, kept in `store` (the `limit` most recently used) while `build` and every one of
    `parts` are the very same objects and `values` (numbers, flags) are equal. `parts` are compared by identity,
    never by ==, which builds SQL for a column, and held with the statement, so an id in the key cannot be reused by
    another object while the statement is kept."""
    parts = (build, *parts)
    key = (tuple(id(part) for part in parts), values)
    with lock:
        hit = store.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)):
            store.move_to_end(key)
            return hit[1]
    statement = build(*parts[1:], *values)
    with lock:
        store[key] = (parts, statement)
        while len(store) > limit:
            store.popitem(last=False)
    return statement
