"""How long the heaviest pages take, and how many SQL statements each runs, as a partnership grows.

Fills a scratch database with a synthetic partnership at `--scale N` times a modest base (BASE below: 2,500
strategy discussions, each with a child, invitations to three agencies, a decision and four agreed actions; missing
episodes, notifications and audit events in proportion; most of the history closed, a few items open and due in
the next week, one heavy MASH chair), then signs in with the Flask test client and times each page over repeated
requests (p50/p95), counting the statements each request runs.

    PYTHONPATH=. .venv/bin/python benchmarks/pages_benchmark.py --scale 1 \\
        --database-url "postgresql+psycopg://postgres@/bench?host=/tmp/pgdev"
    PYTHONPATH=. .venv/bin/python benchmarks/pages_benchmark.py --scale 10 --database-url ...

The database is emptied first (its public schema dropped on PostgreSQL): never point it at real data.
"""
from __future__ import annotations

import argparse
import contextvars
import logging
import platform
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import event, insert, select

UTC = timezone.utc
CHUNK = 10_000
#: rows at --scale 1; everything else is in proportion to the discussions
BASE = {"discussions": 2_500, "children": 2_000, "missing": 1_000}
#: share of the discussions whose record is still to be circulated (MASH My work's partnership view): most of the
#: last week's, and a backlog of older ones nobody closed (about 100 at scale 1, 1,000 at scale 10)
WAITING_FOR_RECORD = 0.6
BACKLOG = 0.15
PASSWORD = "benchmark-Password-1"


def build_app(url: str):
    from config import TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.SQLALCHEMY_ENGINE_OPTIONS = {}
    # timing pages, not the sign-in throttle
    cfg.RATELIMIT_ENABLED = False
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


def _bulk(db, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start:start + CHUNK])


def _ids(db, model) -> list[int]:
    return list(db.session.execute(select(model.id).order_by(model.id)).scalars())


def generate(db, scale: int, now: datetime, seed: int = 14) -> dict:
    """The synthetic partnership; returns the ids the timed pages need."""
    from safeguarding.audit.models import AuditEvent
    from safeguarding.auth import passwords
    from safeguarding.auth.models import Agency, User
    from safeguarding.children.models import Child
    from safeguarding.discussions.models import (AgreedAction, DiscussionChild, Invitation, StrategyDiscussion,
                                                 ThresholdDecision)
    from safeguarding.discussions.thresholds import OUTCOMES
    from safeguarding.missing.models import MissingEpisode
    from safeguarding.reminders.models import Notification
    from safeguarding.reminders.rules import LEVELS

    rng = random.Random(seed)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        db.drop_all()
    db.create_all()

    kinds = [("csc", "childrens_social_care", "Benchshire Children's Social Care"),
             ("police", "police", "Benchshire Police"), ("health", "health", "Benchshire NHS"),
             ("education", "education", "Benchshire Schools")]
    agencies = {}
    for key, kind, name in kinds:
        agencies[key] = Agency(name=name, kind=kind, shared_mailbox=f"{key}@bench.example")
        db.session.add(agencies[key])
    db.session.flush()
    real_hash = passwords.hash_password(PASSWORD)
    users: dict[str, list] = {"mash": [], "manager": [], "practitioner": []}
    for key, agency in agencies.items():
        managers = [User(name=f"{key} manager {i}", email=f"{key}.m{i}@bench.example", agency_id=agency.id,
                         role="manager", job_title="Manager", password_hash="x") for i in range(3 * scale)]
        db.session.add_all(managers)
        db.session.flush()
        users["manager"] += managers
        users["practitioner"] += [
            User(name=f"{key} worker {i}", email=f"{key}.w{i}@bench.example", agency_id=agency.id,
                 role="practitioner", job_title="Worker", line_manager_id=managers[i % len(managers)].id,
                 password_hash=real_hash if (key, i) == ("police", 0) else "x")
            for i in range(15 * scale)]
    users["mash"] = [User(name=f"MASH {i}", email=f"mash{i}@bench.example", agency_id=agencies["csc"].id,
                          role="mash", job_title="MASH", password_hash=real_hash if i == 0 else "x")
                     for i in range(2 * scale)]
    db.session.add_all(users["practitioner"] + users["mash"])
    db.session.flush()
    mash = users["mash"]
    everyone = users["manager"] + users["practitioner"]

    n_sd = BASE["discussions"] * scale
    n_children = BASE["children"] * scale
    print(f"  children {n_children:,}", file=sys.stderr)
    _bulk(db, Child, [dict(first_name=f"Child{i}", last_name=f"Family{i // 3}", gender="female",
                           date_of_birth=date(2010, 1, 1) + timedelta(days=i % 5000),
                           created_at=now - timedelta(days=rng.uniform(0, 730)),
                           created_by_agency_id=agencies[rng.choice(list(agencies))].id)
                      for i in range(n_children)])
    child_ids = _ids(db, Child)

    # Two years of history, oldest first; one MASH chair (the heavy user) holds a quarter of the discussions.
    print(f"  discussions {n_sd:,}", file=sys.stderr)
    sd_rows = []
    for i in range(n_sd):
        held = now - timedelta(days=730 * (n_sd - i) / n_sd) + timedelta(hours=rng.uniform(-4, 4))
        recent = held > now - timedelta(days=7)
        waiting = rng.random() < (WAITING_FOR_RECORD if recent else
                                  BACKLOG if held > now - timedelta(days=180) else 0)
        chair = mash[0] if rng.random() < 0.25 else rng.choice(mash)
        sd_rows.append(dict(status="decided", scheduled_at=held, convene_decided_at=held - timedelta(hours=6),
                            decided_at=held, chair_id=chair.id, created_by_id=chair.id, mode=rng.choice(
                                ["phone", "meeting", "video"]), harm_category=rng.choice(
                                ["physical", "sexual", "emotional", "neglect"]),
                            referral_received_on=(held - timedelta(days=1)).date(), reason="Benchmark concern",
                            minutes_status="draft" if waiting else "circulated",
                            circulation_due_at=held + timedelta(days=1),
                            circulated_at=None if waiting else held + timedelta(hours=20),
                            created_at=held - timedelta(hours=6)))
    _bulk(db, StrategyDiscussion, sd_rows)
    sd_ids = _ids(db, StrategyDiscussion)
    chair_of = {sd_id: row["chair_id"] for sd_id, row in zip(sd_ids, sd_rows, strict=True)}
    held_at = {sd_id: row["scheduled_at"] for sd_id, row in zip(sd_ids, sd_rows, strict=True)}
    child_of = {sd_id: child_ids[(i * 7) % len(child_ids)] for i, sd_id in enumerate(sd_ids)}

    _bulk(db, DiscussionChild, [dict(discussion_id=sd, child_id=child_of[sd]) for sd in sd_ids])
    answers = ["attended"] * 8 + ["apologies", "information_sent"]
    _bulk(db, Invitation, [dict(discussion_id=sd, agency_id=agencies[key].id, status=rng.choice(answers))
                           for sd in sd_ids for key in ("csc", "police", "health")])
    outcomes = list(OUTCOMES)
    _bulk(db, ThresholdDecision, [dict(discussion_id=sd, child_id=child_of[sd], outcome=rng.choice(outcomes),
                                       rationale="Benchmark", abe_planned="no", intermediary_considered="no",
                                       medical_examination="no", legal_action="none", family_told="told",
                                       decided_at=held_at[sd], decided_by_id=chair_of[sd],
                                       # assessments of old referrals were completed long ago
                                       assessment_completed_at=held_at[sd] + timedelta(days=30)
                                       if held_at[sd] < now - timedelta(days=40) else None,
                                       agencies_absent="Police" if rng.random() < 0.05 else "")
                                  for sd in sd_ids])

    print(f"  agreed actions {4 * n_sd:,}", file=sys.stderr)
    action_rows = []
    for sd in sd_ids:
        for _ in range(4):
            owner = rng.choice(everyone)
            due = held_at[sd] + timedelta(days=rng.uniform(1, 20))
            # old actions are done; recent ones mostly open, a few overdue
            done = due < now - timedelta(days=30) or rng.random() < 0.3
            action_rows.append(dict(discussion_id=sd, child_id=child_of[sd], description="Benchmark action",
                                    owner_id=owner.id, owner_agency_id=owner.agency_id, due_at=due,
                                    status="done" if done else "open", completed_at=due if done else None,
                                    created_at=held_at[sd], created_by_id=chair_of[sd]))
    _bulk(db, AgreedAction, action_rows)

    n_missing = BASE["missing"] * scale
    print(f"  missing episodes {n_missing:,}", file=sys.stderr)
    police = [u for u in users["practitioner"] if u.agency_id == agencies["police"].id]
    _bulk(db, MissingEpisode, [dict(child_id=rng.choice(child_ids), missing_from="home", risk_level="medium",
                                    reported_missing_at=(at := now - timedelta(days=rng.uniform(0, 730))),
                                    returned_at=at + timedelta(hours=rng.uniform(2, 48)),
                                    recorded_by_id=(officer := rng.choice(police)).id,
                                    recorded_by_agency_id=officer.agency_id, created_at=at)
                               for _ in range(n_missing)])

    print(f"  notifications {2 * n_sd:,} and audit events {10 * n_sd:,}", file=sys.stderr)
    _bulk(db, Notification, [dict(rule="agreed_action", object_type="strategy_discussion", object_id=sd,
                                  level=LEVELS[k], due_key=str(k), recipient_id=rng.choice(everyone).id,
                                  kind="agreed_action",
                                  title="Benchmark reminder", url=f"/discussions/{sd}", due_at=held_at[sd],
                                  created_at=held_at[sd], email_state="sent",
                                  acknowledged_at=held_at[sd] if held_at[sd] < now - timedelta(days=14) else None)
                             for sd in sd_ids for k in range(2)])
    _bulk(db, AuditEvent, [dict(occurred_at=held_at[sd] + timedelta(minutes=k), user_id=chair_of[sd],
                                action="view" if k else "create", object_type="strategy_discussion", object_id=sd)
                           for sd in sd_ids for k in range(10)])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # planner statistics as autovacuum would have them on a live database; straight after a bulk load they
        # say the tables are empty, and plans (a heavy chair's discussions estimated at 12 rows, not 7,000) mislead
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    # the child with the most discussions: the heaviest child's page
    busiest = child_of[sd_ids[0]]
    return {"mash": mash[0].email, "police": police[0].email, "child_id": busiest}


class Timer:
    def __init__(self, app, email: str):
        from tests.pages import PageClient

        self.app = app
        self.client = app.test_client()
        PageClient(self.client, commit_setup=False).sign_in(email, PASSWORD)

    def time(self, url: str, repeats: int) -> tuple[float, float, int, int]:
        from safeguarding.extensions import db

        def get():
            # a fresh context per request, as the server gives each request
            return contextvars.Context().run(self.client.get, url)

        for _ in range(2):
            response = get()
            assert response.status_code == 200, (url, response.status_code)
        with self.app.app_context():
            with counting(db.engine) as statements:
                response = get()
        size = len(response.get_data())
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            get()
            times.append(time.perf_counter() - started)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        return statistics.median(times), p95, len(statements), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    # one audit line per request would drown the table
    logging.getLogger("safeguarding").setLevel(logging.WARNING)

    from safeguarding.extensions import db

    app = build_app(args.database_url)
    now = datetime.now(UTC)
    with app.app_context():
        started = time.perf_counter()
        print(f"Generating scale {args.scale} ...", file=sys.stderr)
        ids = generate(db, args.scale, now)
        generated = time.perf_counter() - started
        db.session.remove()

    today = now.date()
    year_ago = today - timedelta(days=365)
    period = (f"start={year_ago.day}&start={year_ago.month}&start={year_ago.year}"
              f"&end={today.day}&end={today.month}&end={today.year}")
    pages = [("mash", "My work (MASH)", "/my-work"),
             ("mash", "Partnership's records waiting, page 1 (MASH)", "/my-work/partnership"),
             ("mash", "Children list (MASH)", "/children/"),
             ("police", "Children list (police)", "/children/"),
             ("mash", "Discussions, all (MASH)", "/discussions/?view=all"),
             ("police", "Discussions, all (police)", "/discussions/?view=all"),
             ("mash", "A child's page (MASH)", f"/children/{ids['child_id']}"),
             ("mash", "Reports, one year (MASH)", "/reports/?" + period),
             ("mash", "Practice-learning report, one year (MASH)", "/reports/practice-learning?" + period)]
    timers = {who: Timer(app, ids[who]) for who in ("mash", "police")}
    print(f"\nScale {args.scale} (base x{args.scale}: {BASE['discussions'] * args.scale:,} discussions, "
          f"{4 * BASE['discussions'] * args.scale:,} agreed actions), generated in {generated:.0f} s; "
          f"{args.database_url.split(':')[0]}, {platform.machine()}, "
          f"{platform.python_version()}, {args.repeats} requests each")
    print("| Page | p50 ms | p95 ms | statements | KB |\n|---|---|---|---|---|")
    for who, label, url in pages:
        try:
            p50, p95, statements, size = timers[who].time(url, args.repeats)
        except AssertionError as err:
            print(f"| {label} | failed: {err} | | | |")
            continue
        print(f"| {label} | {p50 * 1000:.0f} | {p95 * 1000:.0f} | {statements} | {size // 1024} |")


if __name__ == "__main__":
    main()
