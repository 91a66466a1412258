"""The children list's rows: the columns it shows (a child's row carries everything recorded about them)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from ..extensions import db
from .models import Child, display_name


@dataclass
class ChildRow:
    id: int
    first_name: str
    last_name: str
    is_unborn: bool
    date_of_birth: date | None
    expected_date: date | None
    la_reference: str | None

    @property
    def display_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.is_unborn)


@functools.cache
def _columns():
    # built once (statements are immutable): each page adds its conditions and order
    return db.select(Child.id, Child.first_name, Child.last_name, Child.is_unborn, Child.date_of_birth,
                     Child.expected_date, Child.la_reference)


def rows_query(conditions, order):
    return _columns().where(*conditions).order_by(*order)


def listed(scope):
    """The list's rows for one person's scope (`child_scope`), newest first, and the children to count: counted
    newest first too (the index on created_at), so the count probes the children the first pages show rather than
    the oldest rows, whose long histories made each probe dearer as the partnership grew. Built to be kept
    (`auth.access.scoped`)."""
    newest = [Child.created_at.desc(), Child.id.desc()]
    return rows_query([scope], newest), db.select(Child.id).where(scope).order_by(*newest)


def as_rows(found) -> list[ChildRow]:
    return [ChildRow(*values) for values in found]
