"""psycopg's cache of converted statements, sized for this application.

psycopg converts each statement's `%(name)s` placeholders to PostgreSQL's `$1` with a regular expression, and keeps
the result in an LRU cache of 128 statements that skips any statement over 4 kB or with over 50 parameters
(`psycopg/_queries.py`: they are usually one-off bulk INSERTs). Our statements are the other way round: a fixed set
of ORM queries, the largest (My work's deadline queries, a child's page) 4 to 10 kB with up to 80 parameters, run on
every request. Unconverted, My work re-parsed 13 of its 30 statements on every request, about 10 ms of Python.

The set is fixed because statements differ only in their parameters (id lists go to PostgreSQL as one array
parameter, `safeguarding/id_lists.py`), so a larger cache holds all of it: at 1,024 entries of at most 32 kB the worst
case is a few megabytes per process. Bulk statements (the synthetic seeder's multi-row INSERTs, over 32 kB or 1,000
parameters) still bypass it. psycopg is pinned in requirements.txt; `tests/test_pg_parse_cache.py` fails if these
names move in an upgrade, rather than the cache silently going back to its defaults.
"""
from functools import lru_cache

#: statements up to this many characters, and parameters, are converted once per process
MAX_LENGTH = 32 * 1024
MAX_PARAMS = 1000
SIZE = 1024


def install() -> bool:
    """Enlarge psycopg's statement conversion cache (once per process); False where psycopg is not installed."""
    try:
        from psycopg import _queries
    except ImportError:  # SQLite-only installs
        return False
    if getattr(_queries, "_safeguarding_cache", False):
        return True
    _queries.MAX_CACHED_STATEMENT_LENGTH = MAX_LENGTH
    _queries.MAX_CACHED_STATEMENT_PARAMS = MAX_PARAMS
    _queries._query2pg = lru_cache(maxsize=SIZE)(_queries._query2pg_nocache)
    _queries._query2pg_client = lru_cache(maxsize=SIZE)(_queries._query2pg_client_nocache)
    _queries._safeguarding_cache = True
    return True
