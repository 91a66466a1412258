"""The reminder sweep as a partnership grows: every kind of deadline, a backlog that grows with it.

At each size (total agreed actions; everything else in proportion: a quarter as many strategy discussions, an
eighth as many threshold decisions, a tenth as many children and missing episodes with return interviews, police
protection, emergency protection orders and professional differences) a fresh scratch database is filled with
bulk inserts. Most items are closed; about 3% of each kind are open, of which most are a backlog of long-overdue
work nobody closed (up to two years old) and the rest due around now. People grow too (a worker per 500 actions,
a manager per 10 workers; the top managers have no line manager, the police have no safeguarding lead or mailbox,
half the return interviews are unassigned): the routing without line managers is exercised at every size.

Measured at each size:
- first: the first sweep, a full catch-up of the whole backlog (in slices), its time and peak Python memory
  (tracemalloc, a second run after emptying the outbox: tracing slows it down) and peak RSS of the process;
- steady: a regular sweep a day later (the window of what has just become due: levels that came true in that
  day, as 288 five-minute sweeps would find them), its time, its statements, and its time per newly due reminder
  (notifications and mailbox emails written);
- RSS: the process's peak resident memory (it includes filling the database, so it is an upper bound).
Target (issue 14): steady per newly due item at 1,000,000 actions <= 1.5x that at 10,000, in <= 150 MB.

    PYTHONPATH=. .venv/bin/python benchmarks/sweep_benchmark.py --database-url sqlite:////tmp/bench.sqlite
    PYTHONPATH=. .venv/bin/python benchmarks/sweep_benchmark.py \\
        --database-url "postgresql+psycopg://postgres@/bench?host=/tmp/pgdev" --sizes 10000,100000,1000000

The database is emptied first: never point it at real data.
"""
from __future__ import annotations

import argparse
import logging
import random
import resource
import sys
import time
import tracemalloc
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, event, insert, update

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # a Tuesday
CHUNK = 5_000
OPEN = 0.03  # of each kind, open
RECENT = 0.25  # of the open, due around now (the rest: the backlog)


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


class Partnership:
    """Bulk-inserted synthetic data of every kind with clocks, in proportion to `actions`."""

    def __init__(self, db, actions: int, rng: random.Random):
        self.db, self.n, self.rng = db, actions, rng

    def when(self, force_open: bool = False) -> tuple[bool, datetime]:
        """(open, due): closed long ago; or open, in the backlog (up to two years overdue) or due around now.
        `force_open`: open and due around now (so even a small partnership has one of each kind)."""
        r = 0.0 if force_open else self.rng.random()
        if r >= OPEN:
            return False, NOW - timedelta(minutes=self.rng.randint(3 * 24 * 60, 5 * 365 * 24 * 60))
        if r < OPEN * RECENT:
            return True, NOW + timedelta(minutes=self.rng.randint(-3 * 24 * 60, 3 * 24 * 60))
        return True, NOW - timedelta(minutes=self.rng.randint(3 * 24 * 60, 2 * 365 * 24 * 60))

    def insert(self, table, rows) -> list[int]:
        """Insert rows (an iterable of dicts) in chunks; returns their ids in order."""
        ids: list[int] = []
        batch: list[dict] = []

        def flush():
            result = self.db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), batch)
            ids.extend(result.scalars())
            batch.clear()

        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                flush()
        if batch:
            flush()
        self.db.session.commit()
        return ids

    def fill(self) -> dict[str, int]:
        from safeguarding.auth.models import Agency, User
        from safeguarding.children.models import Child
        from safeguarding.differences import services as differences
        from safeguarding.differences.models import DifferenceStage, ProfessionalDifference
        from safeguarding.discussions.models import AgreedAction, DiscussionChild, StrategyDiscussion, ThresholdDecision
        from safeguarding.discussions.thresholds import assessment_due_at
        from safeguarding.missing.models import (EmergencyProtectionOrder, MissingEpisode, PoliceProtection,
                                                 ReturnInterview)

        db, rng, n = self.db, self.rng, self.n
        csc = Agency(name="Benchmark CSC", kind="childrens_social_care", shared_mailbox="mash@csc.example")
        police = Agency(name="Benchmark Police", kind="police", shared_mailbox=None)
        health = Agency(name="Benchmark Health", kind="health", shared_mailbox="safeguarding@nhs.example")
        db.session.add_all([csc, police, health])
        db.session.commit()
        agencies = [csc, police, health]
        workers_count = max(60, n // 500)
        people = []  # (id, agency_id)
        for agency in agencies:
            tops = self.insert(User.__table__, (
                {"name": f"Head {i}", "email": f"head{i}@{agency.id}.bench", "agency_id": agency.id,
                 "role": "manager", "password_hash": "x"} for i in range(2)))
            managers = self.insert(User.__table__, (
                {"name": f"Manager {i}", "email": f"m{i}@{agency.id}.bench", "agency_id": agency.id,
                 "role": "manager", "password_hash": "x", "line_manager_id": tops[i % 2]}
                for i in range(max(3, workers_count // 30))))
            workers = self.insert(User.__table__, (
                {"name": f"Worker {i}", "email": f"w{i}@{agency.id}.bench", "agency_id": agency.id,
                 "role": "practitioner", "password_hash": "x", "line_manager_id": managers[i % len(managers)]}
                for i in range(workers_count // 3)))
            people += [(u, agency.id) for u in workers + managers + tops]
        csc_people = [p for p in people if p[1] == csc.id]
        police_people = [p for p in people if p[1] == police.id]
        children = self.insert(Child.__table__, (
            {"first_name": f"Child{i}", "last_name": "Bench", "created_by_agency_id": csc.id} for i in range(n // 10)))
        counts: dict[str, int] = {}

        def person(pool=people):
            return pool[rng.randrange(len(pool))]

        # strategy discussions: minutes to circulate, strategy meetings to follow phone discussions
        discussion_rows, open_minutes = [], 0
        for _ in range(n // 4):
            chair = person(csc_people)
            is_open, due = self.when()
            open_minutes += is_open
            discussion_rows.append({"status": "decided", "minutes_status": "draft" if is_open else "circulated",
                                    "chair_id": chair[0], "circulation_due_at": due, "scheduled_at": due,
                                    "mode": "meeting"})
        discussions = self.insert(StrategyDiscussion.__table__, discussion_rows)
        counts["minutes_circulation"] = open_minutes
        follow_ups = 0
        for i, sd_id in enumerate(discussions[:: 100]):
            is_open, due = self.when(i < 2)
            if is_open:
                follow_ups += 1
                db.session.execute(update(StrategyDiscussion).where(StrategyDiscussion.id == sd_id)
                                   .values(mode="phone", follow_up_meeting_due_at=due))
        db.session.commit()
        counts["follow_up_meeting"] = follow_ups
        self.insert(DiscussionChild.__table__, ({"discussion_id": sd, "child_id": children[i % len(children)]}
                                                for i, sd in enumerate(discussions)))
        # agreed actions
        action_rows, open_actions = [], 0
        for _ in range(n):
            owner = person()
            is_open, due = self.when()
            open_actions += is_open
            action_rows.append({"discussion_id": discussions[rng.randrange(len(discussions))],
                                "description": "Synthetic action", "owner_id": owner[0], "owner_agency_id": owner[1],
                                "due_at": due, "status": "open" if is_open else "done",
                                "created_at": due - timedelta(days=7), "cancel_reason": "", "completion_note": "",
                                "version": 1})
            if len(action_rows) >= 50_000:
                self.insert(AgreedAction.__table__, action_rows)
                action_rows = []
        self.insert(AgreedAction.__table__, action_rows)
        counts["agreed_action"] = open_actions
        # threshold decisions: ICPCs to book, conferences to confirm, assessments, answers still to decide
        decision_rows = []
        kinds = {"icpc": 0, "icpc_held": 0, "assessment": 0, "still_to_decide": 0}
        assessed = set()
        for i in range(n // 8):
            sd = discussions[i % len(discussions)]
            # every row names every column a kind sets: a bulk insert takes its columns from the first row and
            # drops the others' extra keys (the conferences and answers still to decide were lost that way)
            row = {"discussion_id": sd, "child_id": children[i % len(children)], "outcome": "nfa",
                   "rationale": "Synthetic", "decided_at": NOW - timedelta(days=400), "icpc_status": "not_needed",
                   "icpc_due_at": None, "enquiry_started_on": None, "icpc_date": None, "abe_planned": "not_decided",
                   "still_to_decide_due_at": None, "assessment_due_at": None}
            is_open, due = self.when()
            if is_open:
                kind = ("icpc", "icpc_held", "assessment", "still_to_decide")[i % 4]
                kinds[kind] += 1
                if kind == "icpc":
                    row.update(outcome="s47_joint", icpc_status="due", icpc_due_at=due,
                               enquiry_started_on=(due - timedelta(days=21)).date())
                elif kind == "icpc_held":
                    row.update(outcome="s47_joint", icpc_status="booked", icpc_date=due.date())
                elif kind == "assessment":
                    # its own discussion's referral date, so one assessment per referral; the due time stored as the
                    # services keep it (once per child and referral)
                    referral = (due - timedelta(days=63)).date()
                    row.update(outcome="s17")
                    if (row["child_id"], referral) not in assessed:
                        assessed.add((row["child_id"], referral))
                        row.update(assessment_due_at=assessment_due_at(referral))
                    else:
                        kinds[kind] -= 1
                    db.session.execute(update(StrategyDiscussion).where(StrategyDiscussion.id == sd)
                                       .values(referral_received_on=referral))
                else:
                    row.update(abe_planned="not_decided", still_to_decide_due_at=due)
            decision_rows.append(row)
        self.insert(ThresholdDecision.__table__, decision_rows)
        counts.update(kinds)
        # missing episodes and return interviews (half the open ones unassigned: the team's)
        episodes = self.insert(MissingEpisode.__table__, (
            {"child_id": children[i % len(children)], "reported_missing_at": NOW - timedelta(days=30),
             "missing_from": "foster_care", "risk_level": "medium", "recorded_by_id": person(police_people)[0],
             "recorded_by_agency_id": police.id} for i in range(n // 10)))
        interviews, open_rhi = [], 0
        for i, episode in enumerate(episodes):
            is_open, due = self.when()
            open_rhi += is_open
            interviews.append({"episode_id": episode, "child_id": children[i % len(children)],
                               "local_authority_id": csc.id, "returned_at": due - timedelta(hours=72), "due_at": due,
                               "status": "open" if is_open else "completed",
                               "assigned_to_id": person(csc_people)[0] if i % 2 else None})
        self.insert(ReturnInterview.__table__, interviews)
        counts["return_interview"] = open_rhi
        # police protection and emergency protection orders
        protections, open_pp = [], 0
        for i in range(max(5, n // 2000)):
            is_open, due = self.when(i < 2)
            open_pp += is_open
            officer = person(police_people)
            protections.append({"child_id": children[i % len(children)], "started_at": due - timedelta(hours=72),
                                "ends_at": due, "designated_officer": "DI Bench", "place_of_safety": "Foster home",
                                "recorded_by_id": officer[0], "recorded_by_agency_id": police.id,
                                "ended_at": None if is_open else due - timedelta(hours=10)})
        self.insert(PoliceProtection.__table__, protections)
        counts["police_protection"] = open_pp
        orders, open_epo = [], 0
        for i in range(max(5, n // 5000)):
            is_open, due = self.when(i < 2)
            open_epo += is_open
            social_worker = person(csc_people)
            orders.append({"child_id": children[i % len(children)], "granted_at": due - timedelta(days=8),
                           "court": "Family Court", "expires_at": due, "recorded_by_id": social_worker[0],
                           "recorded_by_agency_id": csc.id, "ended_at": None if is_open else due - timedelta(days=1)})
        self.insert(EmergencyProtectionOrder.__table__, orders)
        counts["epo_expiry"] = open_epo
        # professional differences: an open stage, police challenging children's social care
        policy = differences.ensure_policies()[0]
        db.session.commit()
        difference_rows, stage_dues = [], []
        for i in range(max(5, n // 2000)):
            raiser = person(police_people)
            is_open, due = self.when(i < 2)
            difference_rows.append({"child_id": children[i % len(children)], "raised_by_id": raiser[0],
                                    "raised_by_agency_id": police.id, "against_agency_id": csc.id,
                                    "about": "decision", "concern": "Synthetic", "outcome_sought": "Synthetic",
                                    "theme": "threshold", "policy_id": policy.id,
                                    "status": "open" if is_open else "resolved"})
            stage_dues.append((is_open, due, raiser[0]))
        differences_ids = self.insert(ProfessionalDifference.__table__, difference_rows)
        self.insert(DifferenceStage.__table__, (
            {"difference_id": d, "number": 1, "name": "Practitioners", "opened_by_id": raiser, "due_at": due,
             "raising_lead_id": raiser, "responding_lead_id": person(csc_people)[0],
             "closed_at": None if is_open else due, "outcome": None if is_open else "resolved"}
            for d, (is_open, due, raiser) in zip(differences_ids, stage_dues, strict=True)))
        counts["difference_stage"] = sum(o for o, _, _ in stage_dues)
        counts["people"] = len(people)
        return counts


def reset(db) -> None:
    from safeguarding.reminders.models import Notification, OutboundEmail, SchedulerHeartbeat

    for model in (Notification, OutboundEmail, SchedulerHeartbeat):
        db.session.execute(delete(model))
    db.session.commit()


def fresh(db) -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:  # a scratch database: start from nothing
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        db.drop_all()
    db.create_all()


def analyze(db) -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def measure(db) -> dict:
    from safeguarding.reminders.sweep import sweep

    result = {}
    with counting(db.engine) as statements:
        started = time.perf_counter()
        first = sweep(NOW, full=True)
        result.update(first_s=time.perf_counter() - started, first_created=first.created,
                      first_deadlines=first.deadlines, first_slices=first.slices, first_statements=len(statements))
    later = NOW + timedelta(days=1)
    with counting(db.engine) as statements:
        started = time.perf_counter()
        steady = sweep(later, full=False)
        result.update(steady_s=time.perf_counter() - started, steady_created=steady.created,
                      steady_deadlines=steady.deadlines, steady_full=steady.full, steady_statements=len(statements))
    # again under tracemalloc, for peak Python memory (it slows the sweep, so not timed)
    reset(db)
    tracemalloc.start()
    sweep(NOW, full=True)
    result["first_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.reset_peak()
    sweep(later, full=False)
    result["steady_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    result["rss_mb"] = _rss_mb()
    return result


def _rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a scratch database: it is emptied")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="total agreed actions at each size")
    args = parser.parse_args(argv)
    from safeguarding.extensions import db

    app = build_app(args.database_url)
    sizes = [int(s) for s in args.sizes.split(",")]
    logging.getLogger("safeguarding").setLevel(logging.WARNING)
    print(f"database: {args.database_url.split(':')[0]}; RSS at start {_rss_mb():.0f} MB")
    print(f"{'actions':>10} {'open':>7} {'first':>9} {'notes':>8} {'stmts':>6} {'peak':>7} | {'steady':>8} "
          f"{'new':>6} {'stmts':>5} {'per new':>8} {'peak':>7} | {'RSS':>6}")
    baseline = None
    with app.app_context():
        for size in sizes:
            fresh(db)
            started = time.perf_counter()
            counts = Partnership(db, size, random.Random(size)).fill()
            analyze(db)
            open_items = sum(v for k, v in counts.items() if k != "people")
            print(f"  (filled in {time.perf_counter() - started:.0f} s: {counts})", file=sys.stderr)
            m = measure(db)
            per_new = m["steady_s"] / max(m["steady_created"], 1)
            baseline = baseline or per_new
            print(f"{size:>10,} {open_items:>7,} {m['first_s']:>8.1f}s {m['first_created']:>8,} "
                  f"{m['first_statements']:>6} {m['first_peak_mb']:>5.0f}MB | {m['steady_s'] * 1000:>6.0f}ms "
                  f"{m['steady_created']:>6,} {m['steady_statements']:>5} {per_new * 1000:>6.2f}ms "
                  f"{m['steady_peak_mb']:>5.0f}MB | {m['rss_mb']:>4.0f}MB   "
                  f"(per new item: {per_new / baseline:.2f}x the first size)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
