"""The one service contract, shared by every feature.

Services validate, change rows and *flush*; they never commit. A view runs one unit of work per request with
`transaction()`, which commits everything the request did (the change, its audit events, its notifications and
outbox rows) or nothing. A broken rule is a `RuleError` naming the form field to show it on; a change made on a
version someone else has since saved is a `StaleEdit`. After emergency-alerts-api's commit-or-rollback wrapper
and indico's one commit per request (`indico/web/rh.py`).
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db
from .rule_error import RuleError

__all__ = ["Contended", "RuleError", "StaleEdit", "expect_version", "transaction", "is_conflict"]

log = logging.getLogger("safeguarding.service")

#: PostgreSQL's answers when two transactions wanted the same rows at once and one of them had to give way:
#: serialization_failure, deadlock_detected, lock_not_available
_CONFLICT_STATES = frozenset({"40001", "40P01", "55P03"})
#: unique indexes that only two transactions doing the same thing at the same moment can break (each looked, found
#: nothing, and inserted): the second waits for the first, then is refused, a conflict like the ones above. Name ->
#: (table, columns): PostgreSQL names the index, SQLite only its columns.
RACE_CONSTRAINTS = {"uq_role_request_waiting": ("role_request", ("user_id", "kind"))}


class StaleEdit(Exception):
    """Someone else saved this record after the form was opened. `current` is what they saved, if useful."""

    def __init__(self, current: Any = None):
        super().__init__("This record was changed by someone else after you opened it")
        self.current = current


class Contended(StaleEdit):
    """The database made this change give way to another transaction holding the same rows at that moment (a
    deadlock, a lock not freed in time): nothing of it was kept, and saving again can succeed."""


def expect_version(row: Any, version: int | None) -> None:
    """Refuse a change made on an older version of `row` (its `version` column) than the one stored now."""
    if version is None or getattr(row, "version", None) != version:
        raise StaleEdit(row)


def commit_keeping_loaded() -> None:
    """Commit, keeping what the session has loaded (the signed-in person and their session included) instead of
    expiring it: for a page whose change touched nothing it shows, which would otherwise read it all again."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


@contextlib.contextmanager
def transaction(*, keep_loaded: bool = False):
    """One unit of work: commit what the block did, or roll all of it back and re-raise. `keep_loaded`: what the
    request had loaded stays loaded after the commit instead of being read again on its next use, for a change to
    rows nothing else on the page depends on (a notice marked read as its page is drawn).

    A concurrent change caught by a version column (StaleDataError) surfaces as `StaleEdit`, and so does a change
    the database refused because another transaction held the same rows at that moment (a deadlock, a
    serialization failure, SQLite's writer lock not freed in time): someone else was saving this record, nothing of
    this change was kept, and the person gets the conflict page with what they typed, not a server error.
    """
    try:
        yield db.session
        if keep_loaded:
            commit_keeping_loaded()
        else:
            db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None
    except DBAPIError as err:
        db.session.rollback()
        if is_conflict(err):
            log.warning("a change gave way to another at the same moment: %s", err.orig)
            raise Contended() from err
        raise
    except BaseException:
        db.session.rollback()
        raise


_SQLITE_RACES = {"UNIQUE constraint failed: " + ", ".join(f"{table}.{column}" for column in columns)
                 for table, columns in RACE_CONSTRAINTS.values()}


def is_conflict(err: DBAPIError) -> bool:
    """Whether the database refused a statement only because another transaction held the same rows at that moment
    (trying again later can succeed), not because the statement was wrong."""
    state = getattr(err.orig, "sqlstate", None)  # psycopg
    if state == "23505":  # unique_violation
        return getattr(getattr(err.orig, "diag", None), "constraint_name", None) in RACE_CONSTRAINTS
    if state is not None:
        return state in _CONFLICT_STATES
    # sqlite3: another connection's writer lock was not freed within the timeout (SQLITE_BUSY_SNAPSHOT and the like
    # start so too); not SQLITE_LOCKED, a conflict within one connection, which is a bug to see, not to retry
    name = getattr(err.orig, "sqlite_errorname", None) or ""
    if name == "SQLITE_CONSTRAINT_UNIQUE":
        return str(err.orig) in _SQLITE_RACES
    return name.startswith("SQLITE_BUSY")
