"""One page's SQL on a database you must not change: each statement it runs, with EXPLAIN ANALYZE times.

    PYTHONPATH=. .venv/bin/python benchmarks/explain_page.py \\
        --database-url "postgresql+psycopg://postgres@/bench10?host=/tmp/pgdev" \\
        --email mash@synthetic.example /children/1 [--explain] [--repeat 5]

Renders the page's view as that person inside a READ ONLY transaction (PostgreSQL refuses any write): no sign-in,
no session row, and the view's audit records left out (they are writes); everything else runs as served. Prints the
statements (how many, which repeat) and the view's time (median of --repeat), and with --explain each statement's
planning and execution time, the plan's first lines (--plan N: all of statement N's) and, in all, the blocks the
statements read or hit (steadier than milliseconds on a busy machine). --where TEXT prints which lines of the app ran
the statements containing TEXT; --profile profiles the last rendering (PROFILE_SORT=tottime to sort by own time,
PROFILE_FILTER=safeguarding for the app's own functions, PROFILE_LINES=60 for more lines).
For measuring on the big synthetic databases, which are read-only for everyone but the person who loaded them; a
column a later migration added and the database lacks is read as its default.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
import traceback
from collections import Counter

from sqlalchemy import event, text


def build_app(url: str):
    from config import TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    cfg.RATELIMIT_ENABLED = False
    return create_app(cfg)


def _stand_in_for_missing_columns(engine) -> None:
    """A database loaded before a later migration lacks its columns and cannot be migrated here (read-only): each
    missing column is read as its default, by rewriting the statements (for measuring only)."""
    from sqlalchemy import inspect

    from safeguarding.extensions import db

    inspector = inspect(engine)
    missing = {}
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                default = column.default.arg if column.default is not None and column.default.is_scalar else None
                literal = {True: "true", False: "false", None: "NULL"}.get(default, repr(default))
                missing[rf"\b{table.name}(?:_\d+)?\.{column.name}\b"] = literal
    if not missing:
        return
    print(f"(standing in for {len(missing)} columns this database lacks)")

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def rewrite(conn, cursor, statement, parameters, context, executemany):
        for name, value in missing.items():
            statement = re.sub(name, value, statement)
        return statement, parameters


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plan", type=int, action="append", default=[],
                        help="print this statement's whole plan (by its number; may repeat)")
    parser.add_argument("--where", metavar="TEXT",
                        help="for each statement containing TEXT, print where the app ran it (its own frames)")
    parser.add_argument("--profile", action="store_true", help="profile the last rendering (cProfile, top 30)")
    parser.add_argument("path")
    args = parser.parse_args()

    from flask_login import login_user

    from safeguarding import audit
    from safeguarding.auth.models import User
    from safeguarding.extensions import db

    app = build_app(args.database_url)
    with app.app_context():
        _stand_in_for_missing_columns(db.engine)
    # writes (the view's audit record, a report's download record); the page's own reads are what is measured
    audit.record_view = audit.record = lambda *a, **k: None
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))
        if args.where and args.where in statement and len(times) == args.repeat - 1:
            frames = [f"{f.filename.split('/')[-1]}:{f.lineno} {f.name}" for f in traceback.extract_stack()
                      if "/safeguarding/" in f.filename or f.filename.endswith(".html")]
            print(f"{args.where} from: {' < '.join(reversed(frames[-4:]))}")

    times = []
    for n in range(args.repeat + 1):
        with app.test_request_context(args.path):
            user = db.session.execute(db.select(User).where(User.email == args.email)).scalar_one()
            login_user(user)
            adapter = app.url_map.bind("localhost")
            endpoint, values = adapter.match(args.path.split("?")[0])
            seen.clear()
            event.listen(db.engine, "before_cursor_execute", listener)
            profiler = cProfile.Profile() if args.profile and n == args.repeat else None
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            html = app.view_functions[endpoint](**values)
            elapsed = time.perf_counter() - start
            if profiler:
                profiler.disable()
                stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
                stats.print_stats(os.environ.get("PROFILE_FILTER", ""), int(os.environ.get("PROFILE_LINES", "30")))
            event.remove(db.engine, "before_cursor_execute", listener)
            db.session.rollback()
            if n:  # the first request warms caches
                times.append(elapsed * 1000)
    statements = list(seen)
    size = len(html if isinstance(html, str) else html[0])
    print(f"{args.path} as {args.email}: {len(statements)} statements, view p50 {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}), {size:,} characters of HTML")
    repeats = Counter(" ".join(s.split())[:200] for s, _ in statements)
    for sql, times_run in repeats.items():
        if times_run > 1:
            print(f"  runs {times_run} times: {sql[:160]}")
    if args.explain:
        total_ms, total_blocks = 0.0, 0
        with app.app_context():
            with db.engine.connect() as conn:
                raw = conn.connection.driver_connection
                for number, (sql, params) in enumerate(statements, 1):
                    with raw.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                        plan = [row[0] for row in cur.fetchall()]
                    took = " ".join(line for line in plan if line.startswith(("Planning Time", "Execution Time")))
                    top = next((line for line in plan if line.strip().startswith("Buffers:")), "")
                    blocks = sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top))
                    total_blocks += blocks
                    total_ms += sum(float(n) for n in re.findall(r"Time: ([\d.]+) ms", took))
                    print(f"\n#{number} {took}\n  {' '.join(sql.split())[:400]}")
                    for line in plan if number in args.plan else plan[:6]:
                        print("    " + line)
                conn.execute(text("ROLLBACK"))
        print(f"\nIn all: {total_ms:.1f} ms planning and executing, {total_blocks:,} blocks (8 kB) read or hit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
