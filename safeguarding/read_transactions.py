"""A page that only read ends its transaction with COMMIT, so PostgreSQL's prepared statements outlive the request.

PostgreSQL plans each statement before running it. For our pages that is a large share of the work: the scopes'
probes and My work's counts are long statements, and planning them took 31 ms of the 80 ms a CSC manager's My work
spent in the database (bench10, EXPLAIN ANALYZE). psycopg prepares a statement on a connection once it has run it 5
times there, and PostgreSQL then reuses the plan; but psycopg forgets every prepared statement whenever the
connection rolls back (`_connection_base.py`, `_rollback_gen`), and every request ended with a rollback:
Flask-SQLAlchemy closes the session at the end of the request, and a session with an open transaction rolls it
back. So no statement of a page was ever prepared.

A transaction that only read is the same committed or rolled back. So at the end of a GET or HEAD request that did
not fail, a transaction in which nothing was written (no flush, no INSERT, UPDATE or DELETE through the session)
is committed instead; anything else is left to the rollback, as before. The views' own unit of work
(`service.transaction`) is unchanged: writes are committed or rolled back there, and a view of a child's record
commits its audit entry itself (`audit.record_view`).

`DATABASE_PREPARED_STATEMENTS=0` switches preparing off, for a connection pooler in transaction mode that cannot
carry prepared statements between clients (PgBouncer before 1.21, or without `max_prepared_statements`).
"""
from __future__ import annotations

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

WROTE = "safeguarding_wrote"
_SAFE = frozenset({"GET", "HEAD"})


def _begun(session, transaction, connection) -> None:
    session.info[WROTE] = False


def _flushed(session, flush_context) -> None:
    session.info[WROTE] = True


def _executed(state) -> None:
    # anything but an ORM or Core SELECT counts as a write (a text() statement too: it could be one)
    if not state.is_select:
        state.session.info[WROTE] = True


def _only_read(session: Session) -> bool:
    return (session.in_transaction() and not session.info.get(WROTE, True)
            and not (session.new or session.dirty or session.deleted))


def register(app: Flask) -> None:
    from .extensions import db

    if not event.contains(Session, "after_begin", _begun):
        event.listen(Session, "after_begin", _begun)
        event.listen(Session, "after_flush", _flushed)
        event.listen(Session, "do_orm_execute", _executed)

    @app.before_request
    def note_a_transaction_already_open():
        # a transaction the request did not begin (a caller's, sharing the app context) is not the request's to end
        g.read_transaction_was_open = db.session().in_transaction()
        # nothing loaded before the request: whatever it loads is the request's alone (see below)
        g.session_was_empty = not db.session().identity_map

    @app.teardown_request
    def commit_what_only_read(error):
        if error is not None or request.method not in _SAFE or g.get("read_transaction_was_open", True):
            return
        session = db.session()
        if session.get_bind().dialect.name != "postgresql" or not _only_read(session):
            return
        # Committing expires every object the page loaded (hundreds on a list page: about a millisecond) so that the
        # next transaction reads them again; the session is discarded once the request ends, so when it held
        # nothing before the request (always, when served; not when a test shares its session) none will be read.
        expire, session.expire_on_commit = session.expire_on_commit, not g.get("session_was_empty", False)
        try:
            session.commit()
        except Exception:  # the connection went away: the rollback that follows cleans up, as it always did
            session.rollback()
        finally:
            session.expire_on_commit = expire
