"""psycopg cursors build their description only when it is read (safeguarding/pg_description.py), and give what
psycopg itself would when it is."""
import psycopg
import pytest
from sqlalchemy import text

from safeguarding.extensions import db

from .conftest import USING_POSTGRES

pytestmark = pytest.mark.skipif(not USING_POSTGRES, reason="a psycopg cursor exists only on PostgreSQL; the "
                                                           "PostgreSQL pass of every CI run checks it")

STATEMENT = "SELECT 1 AS one, 'two'::text AS two, now() AS three, NULL::numeric(5, 2) AS four"


def _plain_and_ours():
    raw = db.session.connection().connection.driver_connection
    ours = raw.cursor()
    plain = psycopg.Cursor(raw)
    for cursor in (ours, plain):
        cursor.execute(STATEMENT)
    return ours, plain


def test_the_applications_cursors_describe_results_as_psycopg_does(app):
    ours, plain = _plain_and_ours()
    assert type(ours).__name__ == "LazyDescriptionCursor"
    assert len(ours.description) == len(plain.description) == 4
    assert [tuple(c) for c in ours.description] == [tuple(c) for c in plain.description]
    assert [c.name for c in ours.description] == ["one", "two", "three", "four"]
    assert ours.description[3].precision == 5 and ours.description[3].scale == 2


def test_a_description_read_late_is_of_the_result_it_was_asked_for(app):
    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    cursor.execute(STATEMENT)
    first = cursor.description
    cursor.execute("SELECT 5 AS five")
    assert [c.name for c in first] == ["one", "two", "three", "four"]
    assert [c.name for c in cursor.description] == ["five"]


def test_statements_without_rows_have_no_description(app):
    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    cursor.execute("CREATE TEMPORARY TABLE description_probe (n integer)")
    assert cursor.description is None
    cursor.execute("SELECT FROM description_probe")  # rows of no columns: psycopg describes them as []
    assert cursor.description is not None and len(cursor.description) == 0


def test_sqlalchemy_reads_columns_by_name_from_a_textual_statement(app):
    for _ in range(3):  # the first run works the columns out, the later ones reuse them
        row = db.session.execute(text(STATEMENT)).mappings().one()
        assert (row["one"], row["two"], row["four"]) == (1, "two", None)
