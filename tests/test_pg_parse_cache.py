"""psycopg converts our large, repeated statements once per process (safeguarding/pg_parse_cache.py)."""
import pytest
from sqlalchemy import text

from safeguarding.extensions import db

from .conftest import USING_POSTGRES

pytestmark = pytest.mark.skipif(not USING_POSTGRES, reason="psycopg's statement cache exists only on PostgreSQL; "
                                                           "the PostgreSQL pass of every CI run checks it")


def test_a_long_statement_with_many_parameters_is_converted_once(app):
    from psycopg import _queries

    # the shape of My work's counts: over 4 kB and over 50 parameters, which psycopg's defaults never cache
    names = [f"p{n}" for n in range(80)]
    statement = "SELECT " + ", ".join(f"CAST(:{name} AS integer) + 0 AS column_with_a_long_name_{name}"
                                      for name in names)
    assert len(statement) > 4096
    values = {name: n for n, name in enumerate(names)}
    before = _queries._query2pg.cache_info()
    first = db.session.execute(text(statement), values).one()
    second = db.session.execute(text(statement), values).one()
    after = _queries._query2pg.cache_info()
    assert list(first) == list(second) == list(range(80))
    assert after.misses - before.misses == 1  # converted the first time
    assert after.hits - before.hits >= 1  # and found the second


def test_the_cache_holds_every_statement_an_application_runs(app):
    from psycopg import _queries

    assert _queries._query2pg.cache_info().maxsize >= 1024
