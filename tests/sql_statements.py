"""The SQL statements a block of code runs, for tests that a page's statements do not grow with its rows."""
from contextlib import contextmanager

from sqlalchemy import event

from safeguarding.extensions import db


@contextmanager
def statements_run():
    """Yields a list that fills with each statement the app's engine runs inside the block."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def statements_of_get(client, url: str) -> list[str]:
    """The statements one GET of `url` runs."""
    with statements_run() as seen:
        client.get(url)
    return seen
