"""The one service contract, shared by every feature.

Services validate, change rows and *flush*; they never commit. A view runs one unit of work per request with
`transaction()`, which commits everything the request did (the change, its audit events, its notifications and
outbox rows) or nothing. A broken rule is a `RuleError` naming the form field to show it on; a change made on a
version someone else has since saved is a `StaleEdit`. After emergency-alerts-api's commit-or-rollback wrapper
and indico's one commit per request (`indico/web/rh.py`).
"""
from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from .extensions import db
from .rule_error import RuleError

__all__ = ["RuleError", "StaleEdit", "expect_version", "transaction"]


class StaleEdit(Exception):
    """Someone else saved this record after the form was opened. `current` is what they saved, if useful."""

    def __init__(self, current: Any = None):
        super().__init__("This record was changed by someone else after you opened it")
        self.current = current


def expect_version(row: Any, version: int | None) -> None:
    """Refuse a change made on an older version of `row` (its `version` column) than the one stored now."""
    if version is None or getattr(row, "version", None) != version:
        raise StaleEdit(row)


@contextlib.contextmanager
def transaction():
    """One unit of work: commit what the block did, or roll all of it back and re-raise.

    A concurrent change caught by a version column (StaleDataError) surfaces as `StaleEdit`.
    """
    try:
        yield db.session
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None
    except BaseException:
        db.session.rollback()
        raise
