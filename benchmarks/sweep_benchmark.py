"""How long the reminder sweep takes, and how many SQL statements it runs, as agreed actions pile up.

Fills a scratch database with synthetic agreed actions (about 1,000 open and due at every size; the rest done, or
open and due months ahead, as a real partnership's history would be) and times `sweep(now)` at each size:
the first sweep (writes ~2,000 notifications) and a repeat sweep (writes nothing: the steady state, every 5
minutes). Target: the time at 1,000,000 rows within 1.5x of the time at 10,000.

    PYTHONPATH=. .venv/bin/python benchmarks/sweep_benchmark.py --database-url sqlite:////tmp/bench.sqlite
    PYTHONPATH=. .venv/bin/python benchmarks/sweep_benchmark.py \
        --database-url "postgresql+psycopg://postgres@/bench?host=/tmp/pgdev" --sizes 10000,100000,1000000

The database is emptied first: never point it at real data. Needs the discussions feature (AgreedAction).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, event, func, insert, select

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # a Tuesday
DUE = 1_000
CHUNK = 20_000


def build_app(url: str):
    from config import TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.SQLALCHEMY_ENGINE_OPTIONS = {}
    return create_app(cfg)


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def setup(db):
    from safeguarding.auth.models import Agency, User
    from safeguarding.discussions.models import StrategyDiscussion

    if db.engine.dialect.name == "postgresql":
        # a scratch database: start from nothing, whatever other features' tables it holds
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        db.drop_all()
    db.create_all()
    agency = Agency(name="Benchmark CSC", kind="childrens_social_care")
    db.session.add(agency)
    db.session.flush()
    managers = [User(name=f"Manager {i}", email=f"m{i}@bench.example", agency_id=agency.id, role="manager",
                     password_hash="x") for i in range(10)]
    db.session.add_all(managers)
    db.session.flush()
    workers = [User(name=f"Worker {i}", email=f"w{i}@bench.example", agency_id=agency.id, role="practitioner",
                    line_manager_id=managers[i % 10].id, password_hash="x") for i in range(200)]
    db.session.add_all(workers)
    db.session.flush()
    discussions = [StrategyDiscussion(status="decided", minutes_status="circulated", chair_id=managers[0].id)
                   for _ in range(100)]
    db.session.add_all(discussions)
    db.session.commit()
    return agency.id, [w.id for w in workers], [d.id for d in discussions]


def fill(db, count: int, agency_id: int, owners: list[int], discussions: list[int], rng: random.Random) -> None:
    """Add `count` actions that are not due: mostly done long ago, some open but due months ahead."""
    from safeguarding.discussions.models import AgreedAction

    table = AgreedAction.__table__
    for start in range(0, count, CHUNK):
        rows = []
        for _ in range(min(CHUNK, count - start)):
            done = rng.random() < 0.95
            due = NOW - timedelta(days=rng.randint(1, 1500)) if done else NOW + timedelta(days=rng.randint(30, 365))
            rows.append({"discussion_id": rng.choice(discussions), "description": "Synthetic action",
                         "owner_id": rng.choice(owners), "owner_agency_id": agency_id, "due_at": due,
                         "status": "done" if done else "open", "created_at": due - timedelta(days=7),
                         "cancel_reason": "", "completion_note": "", "version": 1})
        db.session.execute(insert(table), rows)
        db.session.commit()


def add_due(db, agency_id, owners, discussions, rng) -> None:
    """About 1,000 open actions overdue or due within a day: the work the sweep really has."""
    from safeguarding.discussions.models import AgreedAction

    rows = [{"discussion_id": rng.choice(discussions), "description": "Due action", "owner_id": rng.choice(owners),
             "owner_agency_id": agency_id, "due_at": NOW + timedelta(minutes=rng.randint(-10 * 24 * 60, 20 * 60)),
             "status": "open", "created_at": NOW - timedelta(days=20), "cancel_reason": "", "completion_note": "",
             "version": 1} for _ in range(DUE)]
    db.session.execute(insert(AgreedAction.__table__), rows)
    db.session.commit()


def measure(db, repeats: int) -> dict:
    from safeguarding.reminders.models import Notification
    from safeguarding.reminders.sweep import sweep

    db.session.execute(delete(Notification))
    db.session.commit()
    with counting(db.engine) as first_statements:
        started = time.perf_counter()
        first = sweep(NOW)
        first_time = time.perf_counter() - started
    repeat_times = []
    for _ in range(repeats):
        with counting(db.engine) as repeat_statements:
            started = time.perf_counter()
            again = sweep(NOW + timedelta(seconds=1))
            repeat_times.append(time.perf_counter() - started)
        assert again.created == 0
    return {"deadlines": first.deadlines, "created": first.created, "first_s": first_time,
            "first_statements": len(first_statements), "repeat_s": statistics.median(repeat_times),
            "repeat_statements": len(repeat_statements)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a scratch database: it is emptied")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="total agreed actions at each step")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        import safeguarding.discussions.models  # noqa: F401
    except ModuleNotFoundError:
        print("The discussions feature (AgreedAction) is not installed; nothing to measure.", file=sys.stderr)
        return 2
    from safeguarding.extensions import db

    app = build_app(args.database_url)
    rng = random.Random(4)
    sizes = [int(s) for s in args.sizes.split(",")]
    with app.app_context():
        agency_id, owners, discussions = setup(db)
        add_due(db, agency_id, owners, discussions, rng)
        from safeguarding.discussions.models import AgreedAction

        print(f"database: {db.engine.dialect.name}; about {DUE} actions due at each size")
        print(f"{'actions':>10} {'open due':>9} {'new notes':>9} {'first sweep':>12} {'stmts':>6} "
              f"{'repeat sweep':>13} {'stmts':>6}")
        measure(db, 1)  # warm-up: connection, statement caches, imports; not reported
        baseline = None
        for size in sizes:
            have = db.session.execute(select(func.count()).select_from(AgreedAction)).scalar_one()
            if size > have:
                started = time.perf_counter()
                fill(db, size - have, agency_id, owners, discussions, rng)
                print(f"  (filled {size - have:,} rows in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
            else:
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            m = measure(db, args.repeats)
            baseline = baseline or m["repeat_s"]
            print(f"{size:>10,} {m['deadlines']:>9,} {m['created']:>9,} {m['first_s'] * 1000:>10.0f}ms "
                  f"{m['first_statements']:>6} {m['repeat_s'] * 1000:>11.0f}ms {m['repeat_statements']:>6}"
                  f"   ({m['repeat_s'] / baseline:.2f}x the first size)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
