"""How long checking (the dry run) and applying an onboarding file of users takes, by number of rows.

Each row is a new practitioner whose line manager is the first row's person (so the second pass runs for every row
but one). Target: a 500-row file is checked within a normal request (well under the 30 s a proxy would wait).

    PYTHONPATH=. .venv/bin/python benchmarks/imports_benchmark.py --database-url sqlite:////tmp/bench.sqlite
    PYTHONPATH=. .venv/bin/python benchmarks/imports_benchmark.py \\
        --database-url "postgresql+psycopg://postgres@/bench?host=/tmp/pgdev" --sizes 100,500,2000

The database is emptied first: never point it at real data.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_app(url: str):
    from config import TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.SQLALCHEMY_ENGINE_OPTIONS = {}
    return create_app(cfg)


def users_file(rows: int) -> bytes:
    lines = ["name,email,agency,role,job_title,line_manager_email,active"]
    lines += [f"Person {n},person{n}@example.org,Bench Police,practitioner,Constable,"
              f"{'person0@example.org' if n else ''},yes" for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/imports-bench.sqlite")
    parser.add_argument("--sizes", default="100,500,2000")
    args = parser.parse_args()
    app = build_app(args.database_url)
    from safeguarding.admin import imports
    from safeguarding.auth.models import Agency, User
    from safeguarding.extensions import db

    kind = imports.KINDS_OF_IMPORT["users"]
    for size in (int(s) for s in args.sizes.split(",")):
        with app.app_context():
            db.drop_all()
            db.create_all()
            agency = Agency(name="Bench Police", kind="police")
            db.session.add(agency)
            db.session.flush()
            admin = User(name="Bench Admin", email="admin@example.org", agency_id=agency.id, role="admin",
                         password_hash="!")
            db.session.add(admin)
            db.session.commit()
            content = users_file(size)
            with app.test_request_context():
                started = time.perf_counter()
                checked = imports.dry_run(kind, content, actor=admin)
                checked_s = time.perf_counter() - started
                started = time.perf_counter()
                applied = imports.apply(kind, content, actor=admin)
                db.session.commit()
                applied_s = time.perf_counter() - started
            assert checked.count(imports.NEW) == size and applied.count(imports.NEW) == size, (checked, applied)
            print(f"{size:>6} rows: check {checked_s:6.2f} s, apply {applied_s:6.2f} s")


if __name__ == "__main__":
    main()
