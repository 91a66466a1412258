"""A page that only read ends its transaction with COMMIT on PostgreSQL, so psycopg keeps what it prepared; a request
that wrote, failed or was not a GET ends as before (safeguarding/read_transactions.py)."""
import contextvars

import pytest
from sqlalchemy import event

from safeguarding.auth.models import Role
from safeguarding.extensions import db

from .conftest import PASSWORD, USING_POSTGRES
from .pages import PageClient

pytestmark = pytest.mark.skipif(not USING_POSTGRES, reason="prepared statements and the COMMIT that keeps them "
                                "are PostgreSQL's; the PostgreSQL pass of every CI run checks it")


class Endings:
    """How each transaction on the app's engine ended, and the psycopg connections the requests used."""

    def __init__(self, engine):
        self.engine, self.seen, self.connections = engine, [], set()

    def __enter__(self):
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        event.listen(self.engine, "after_cursor_execute", self._executed)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)
        event.remove(self.engine, "after_cursor_execute", self._executed)

    def _commit(self, conn):
        self.seen.append("commit")

    def _rollback(self, conn):
        self.seen.append("rollback")

    def _executed(self, conn, cursor, statement, parameters, context, executemany):
        self.connections.add(conn.connection.driver_connection)


@pytest.fixture
def worker(app, make_user):
    user = make_user(Role.MASH, "csc")
    db.session.commit()
    client = PageClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    db.session.remove()
    return client


def test_a_page_that_only_read_commits_and_its_statements_stay_prepared(app, worker):
    with Endings(db.engine) as endings:
        # psycopg prepares what a connection has run 5 times; 11 requests reach that even if the pool hands out
        # two connections in turn
        for _ in range(11):
            contextvars.Context().run(worker.get, "/children/")
    assert endings.seen and "rollback" not in endings.seen
    prepared = sum(len(c._prepared._names) for c in endings.connections)
    assert prepared > 0


def test_a_request_that_writes_or_may_have_written_ends_as_before(app, worker, monkeypatch):
    from safeguarding import read_transactions

    # a GET whose transaction wrote without committing is rolled back at its end, as every request was before
    with monkeypatch.context() as patched:
        patched.setattr(read_transactions, "_only_read", lambda session: False)
        with Endings(db.engine) as endings:
            contextvars.Context().run(worker.get, "/children/")
    assert "rollback" in endings.seen and "commit" not in endings.seen
    # signing out writes (the session row ends) and commits in its own unit of work; the request's end adds nothing
    token = contextvars.Context().run(worker.get, "/home").csrf()
    with Endings(db.engine) as endings:
        contextvars.Context().run(worker.post, "/sign-out", {"csrf_token": token})
    assert endings.seen.count("commit") == 1


def test_a_read_that_flushed_is_rolled_back_not_committed(app):
    from safeguarding.auth.models import Agency
    from safeguarding.read_transactions import _only_read

    db.session.remove()
    session = db.session()
    session.execute(db.select(Agency.id)).all()
    assert _only_read(session)
    session.add(Agency(name="Never saved", kind="police"))
    assert not _only_read(session)  # pending
    session.flush()
    assert not _only_read(session)  # flushed: the request's end must not commit it
    session.rollback()
    assert db.session.execute(db.select(Agency).where(Agency.name == "Never saved")).first() is None


def test_prepared_statements_can_be_switched_off_for_a_transaction_mode_pooler(app_factory):
    switched_off = app_factory(DATABASE_PREPARED_STATEMENTS=False)
    with switched_off.app_context():
        connection = db.engine.raw_connection()
        try:
            assert connection.driver_connection.prepare_threshold is None
        finally:
            connection.close()
