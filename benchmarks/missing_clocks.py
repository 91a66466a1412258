"""How long the missing-children clocks and figures take at a large county's scale.

    PYTHONPATH=. python benchmarks/missing_clocks.py [episodes]      (DATABASE_URL for PostgreSQL; default SQLite)

A large county sees a few thousand missing episodes a year (the mean local authority about 570 for looked-after
children alone, DOMAIN sizing); we load several years' worth, nearly all closed, and time the questions asked
most: the dashboard's and the reminder sweep's open deadlines, a manager's own deadlines, and a year of figures.
Targets: each well under 100 ms, with a handful of SQL statements whatever the history size.
"""
from __future__ import annotations

import os
import sys
import time
from datetime import timedelta

from sqlalchemy import event, insert

from config import TestConfig
from safeguarding import create_app
from safeguarding.auth.models import Agency, User
from safeguarding.children.models import Child
from safeguarding.clock import now
from safeguarding.extensions import db
from safeguarding.missing import deadlines, services
from safeguarding.missing.models import MissingEpisode, ReturnInterview, RhiOffer


def main(total: int) -> None:
    cfg = TestConfig()
    if os.environ.get("DATABASE_URL"):
        cfg.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
    app = create_app(cfg)
    with app.app_context():
        db.drop_all()
        db.create_all()
        csc = Agency(name="CSC", kind="childrens_social_care")
        police = Agency(name="Police", kind="police")
        db.session.add_all([csc, police])
        db.session.flush()
        workers = [User(name=f"W{i}", email=f"w{i}@x.org", agency_id=csc.id, role="practitioner",
                        password_hash="x") for i in range(40)]
        manager = User(name="M", email="m@x.org", agency_id=csc.id, role="manager", password_hash="x")
        officer = User(name="P", email="p@x.org", agency_id=police.id, role="practitioner", password_hash="x")
        db.session.add_all([*workers, manager, officer])
        db.session.flush()
        children = [{"first_name": f"C{i}", "last_name": "X", "created_by_agency_id": csc.id}
                    for i in range(total // 5)]
        db.session.execute(insert(Child), children)
        child_ids = [c for (c,) in db.session.execute(db.select(Child.id))]
        at = now()
        episodes, rhis, offers = [], [], []
        for i in range(total):
            returned = at - timedelta(hours=6 * i + 3)
            episodes.append({"id": i + 1, "child_id": child_ids[i % len(child_ids)],
                             "reported_missing_at": returned - timedelta(hours=5), "missing_from": "home",
                             "risk_level": "medium", "indicators": [], "returned_at": returned,
                             "recorded_by_id": officer.id, "recorded_by_agency_id": police.id})
            is_open = i < 200
            rhis.append({"id": i + 1, "episode_id": i + 1, "child_id": episodes[-1]["child_id"],
                         "local_authority_id": csc.id, "returned_at": returned,
                         "due_at": returned + timedelta(hours=72), "status": "open" if is_open else "completed",
                         "assigned_to_id": workers[i % 40].id if i % 3 else None,
                         "completed_at": None if is_open else returned + timedelta(hours=40 + i % 60),
                         "completed_in_time": None if is_open else (40 + i % 60) <= 72})
            offers.append({"return_interview_id": i + 1, "offered_at": returned + timedelta(hours=1),
                           "offered_by_id": workers[i % 40].id, "method": "phone",
                           "response": "declined" if i % 4 == 0 else "accepted"})
        for model, rows in ((MissingEpisode, episodes), (ReturnInterview, rhis), (RhiOffer, offers)):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start:start + 5000])
        db.session.commit()

        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))

        def timed(label, fn, repeat=5):
            best = float("inf")
            for _ in range(repeat):
                statements.clear()
                db.session.expire_all()
                started = time.perf_counter()
                result = fn()
                best = min(best, time.perf_counter() - started)
            print(f"{label:<45} {best * 1000:7.1f} ms  {len(statements)} statement(s)  {len(result)} row(s)")

        horizon = at + timedelta(days=7)
        print(f"{total} episodes and return interviews on {db.engine.dialect.name}")
        timed("open deadlines, everyone (sweep)", lambda: deadlines.open_deadlines(due_before=horizon))
        timed("open deadlines, one worker (dashboard)",
              lambda: deadlines.open_deadlines(due_before=horizon, owner_ids=[workers[1].id]))
        timed("open deadlines, a manager (unassigned)",
              lambda: deadlines.open_deadlines(due_before=horizon, owner_ids=[manager.id]))
        today = at.date()
        timed("figures, last 12 months", lambda: services.figures(today - timedelta(days=365), today)[0])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
