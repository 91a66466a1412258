"""Entry point for `flask --app app ...` and for WSGI servers (gunicorn app:app)."""
import gc

from safeguarding import create_app

app = create_app()

# What the app loaded (templates, SQLAlchemy's mappings, GOV.UK's macros: about 240,000 objects) lives as long as
# the worker. Left to the collector, every full collection walked all of it: 200 ms on the shared 2-core machine,
# landing on whichever request tipped it (a child's page 400 ms instead of 40 in benchmarks/pages.py). Frozen, a
# full collection walks only what requests made since: about 1 ms.
gc.collect()
gc.freeze()
