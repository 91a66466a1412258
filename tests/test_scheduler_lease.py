"""One scheduler at a time, by a lease row with an expiry: held while renewed, passed on when it lapses, given up on
a clean stop, re-checked before every job; and (on PostgreSQL, with real processes) killing the scheduler's
database connections never leaves two schedulers sweeping at once."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from safeguarding import clock
from safeguarding.extensions import db
from safeguarding.reminders import cli
from safeguarding.reminders.lease import Lease
from safeguarding.reminders.models import SchedulerHeartbeat

from .conftest import USING_POSTGRES

ROOT = Path(__file__).resolve().parent.parent


def _renew(lease: Lease, at) -> bool:
    held = lease.renew(at)
    db.session.commit()
    return held


def test_one_holder_at_a_time_and_a_lapsed_lease_passes_on(app):
    first, second = Lease(60, holder="node-1:101"), Lease(60, holder="node-2:202")
    start = clock.now()
    assert _renew(first, start)
    assert not _renew(second, start + timedelta(seconds=30))
    assert _renew(first, start + timedelta(seconds=50))  # renewed: now until start + 110 s
    assert not _renew(second, start + timedelta(seconds=100))
    assert _renew(second, start + timedelta(seconds=111))  # the first stopped renewing: it lapsed
    assert not _renew(first, start + timedelta(seconds=112))
    second.release()
    assert _renew(first, start + timedelta(seconds=113))  # given up on a clean stop: taken at once


def test_a_scheduler_without_the_lease_runs_no_job_and_says_who_has_it(app, caplog):
    leader, standby = Lease(60, holder="node-1:101"), Lease(60, holder="node-2:202")
    assert leader.hold()
    with caplog.at_level(logging.INFO, logger="safeguarding.scheduler"):
        cli.run_job(app, "sweep", standby)
        cli.run_job(app, "deliver", standby)
    db.session.expire_all()
    beat = db.session.get(SchedulerHeartbeat, 1)
    assert beat.last_sweep_at is None and beat.last_delivery_at is None
    assert "another scheduler holds the lease (node-1:101); waiting" in caplog.text
    assert beat.started_by == "node-1:101"
    cli.run_job(app, "sweep", leader)
    db.session.expire_all()
    assert db.session.get(SchedulerHeartbeat, 1).last_sweep_at is not None


def test_a_leader_that_lost_its_lease_stops_and_says_so(app, caplog):
    leader, other = Lease(60, holder="node-1:101"), Lease(60, holder="node-2:202")
    assert leader.hold()
    # the leader was cut off for longer than its lease: the other one took it
    db.session.execute(text("UPDATE scheduler_heartbeat SET lease_holder = 'node-2:202'"))
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="safeguarding.scheduler"):
        cli.run_job(app, "sweep", leader)
    assert "lease lost (another scheduler holds the lease (node-2:202))" in caplog.text
    assert not leader.held and db.session.get(SchedulerHeartbeat, 1).last_sweep_at is None
    assert other.renew()


def _scheduler(database_url: str, name: str, sweeps: Path) -> subprocess.Popen:
    """A real `flask scheduler run`, sweeping every half second (each sweep takes ~0.3 s), its lease 3 s; each
    sweep that commits is written to `sweeps` as "pid start end"."""
    program = f"""
import os, sys, time
from apscheduler.triggers.interval import IntervalTrigger
from tests import reminder_provider
reminder_provider.install()
import safeguarding.reminders.cli as cli
import safeguarding.reminders.sweep as sweeping
real_sweep, real_route, real_build = sweeping.sweep, sweeping._route, cli.build_scheduler

def slow_route(*args):
    time.sleep(0.3)  # long enough for a second sweeper to overlap, if it could
    return real_route(*args)

def logged_sweep(now=None, **kw):
    started = time.time()
    result = real_sweep(now, **kw)  # raises LeaseLost (nothing logged) if the lease went
    with open({str(sweeps)!r}, "a") as out:
        out.write(f"{{os.getpid()}} {{started}} {{time.time()}}\\n")
    return result

def fast(app, lease=None):
    scheduler = real_build(app, lease)
    scheduler.modify_job("sweep", trigger=IntervalTrigger(seconds=0.5))
    return scheduler

sweeping._route, sweeping.sweep, cli.build_scheduler = slow_route, logged_sweep, fast
from flask.cli import main
sys.argv = ["flask", "--app", "app", "scheduler", "run"]
main()
"""
    separator = "&" if "?" in database_url else "?"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "APP_ENV": "development", "SECRET_KEY": "lease-test-key",
           "DATABASE_URL": f"{database_url}{separator}application_name={name}", "SCHEDULER_LEASE_SECONDS": "3",
           "DELIVER_INTERVAL_SECONDS": "1", "SMTP_HOST": ""}
    return subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _sweeps(path: Path) -> list[tuple[int, float, float]]:
    if not path.exists():
        return []
    return [(int(p), float(s), float(e)) for p, s, e in (line.split() for line in path.read_text().splitlines())]


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _cut_off(name: str) -> int:
    """Terminate every database connection of the scheduler called `name` (a restart, failover or idle reaper)."""
    with db.engine.connect() as conn:
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE application_name = :name"), {"name": name}).scalar()
        conn.commit()
    return killed


@pytest.mark.slow
@pytest.mark.skipif(not USING_POSTGRES, reason="terminates database connections with pg_terminate_backend: "
                                               "PostgreSQL only (TEST_DATABASE_URL); SQLite runs on one machine")
def test_killing_the_schedulers_connections_never_leaves_two_sweeping(app, chase, team, tmp_path):
    owner, _ = team
    chase.add_task("Overdue visit", clock.now() - timedelta(days=5), owner)
    sweeps = tmp_path / "sweeps"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first = _scheduler(url, "scheduler-a", sweeps)
    second = None
    failure = None
    try:
        # (a generous wait: starting the app takes a while on a busy machine)
        assert _wait_for(lambda: len(_sweeps(sweeps)) >= 2, 120), "the first scheduler never swept"
        second = _scheduler(url, "scheduler-b", sweeps)
        time.sleep(5)
        # its connections killed, the leader reconnects and renews its lease: it carries on, the standby waits
        assert _cut_off("scheduler-a") >= 1
        time.sleep(3)
        assert {pid for pid, _, _ in _sweeps(sweeps)} == {first.pid}
        before = len(_sweeps(sweeps))
        # cut off for longer than its lease (paused, its connections killed): the standby takes over
        first.send_signal(signal.SIGSTOP)
        _cut_off("scheduler-a")
        assert _wait_for(lambda: any(pid == second.pid for pid, _, _ in _sweeps(sweeps)), 60), "no takeover"
        first.send_signal(signal.SIGCONT)
        time.sleep(4)  # the first wakes, finds the lease gone and stops sweeping
        after = [pid for pid, _, _ in _sweeps(sweeps)[before:]]
        assert second.pid in after and after[-3:] == [second.pid] * 3, after
    except AssertionError as problem:
        failure = problem
    finally:
        logs = []
        for process in (first, second):
            if process is None:
                continue
            process.send_signal(signal.SIGCONT)
            process.terminate()
            logs.append(process.communicate(timeout=30)[0])
    assert failure is None, f"{failure}\n--- first:\n{logs[0][-3000:]}\n--- second:\n{logs[-1][-3000:]}"
    runs = sorted(_sweeps(sweeps), key=lambda run: run[1])
    for (pid, _, end), (next_pid, next_start, _) in zip(runs, runs[1:], strict=False):
        # never two at once: each committed sweep ends before the next one (by either process) starts
        assert end <= next_start + 0.05 or pid == next_pid, (runs, logs[0][-3000:])
    assert "lease lost" in logs[0] or "another scheduler holds the lease" in logs[0], logs[0][-3000:]
    assert "lease taken" in logs[1], logs[1][-3000:]
