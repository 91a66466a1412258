"""The reminder processes: two sweeps at once, the real `flask scheduler run`, the commands (the lease that keeps
to one scheduler: test_scheduler_lease.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from safeguarding import create_app
from safeguarding.extensions import db
from safeguarding.reminders import cli
from safeguarding.reminders.models import SENT, Notification, SchedulerHeartbeat

from .conftest import USING_POSTGRES, make_config
from .reminder_provider import london

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # real processes: run in CI (`make test`); skip locally with -m "not slow"
NOW = london(2026, 12, 1, 17, 0)


@pytest.fixture
def app(app_factory, tmp_path):
    """An app whose database other processes can open: a SQLite file, or the PostgreSQL test database."""
    if USING_POSTGRES:
        return app_factory()
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'shared.sqlite'}", SQLALCHEMY_ENGINE_OPTIONS={})


def test_two_processes_sweeping_and_delivering_at_once_send_each_reminder_once(app, chase, team, smtp_server):
    owner, manager = team
    for n in range(40):
        chase.add_task(f"Action {n}", london(2026, 11, 20, 9, n), owner)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    start_at = str(time.time() + 3)
    worker = [sys.executable, "-m", "tests.reminder_worker", url, NOW.isoformat(), str(smtp_server.port), start_at]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen(worker, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    created = [int(out.split("created=")[1].split()[0]) for out, _ in outputs]
    assert sum(created) == 80  # 40 overdue + 40 escalations, however the two processes divided them
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 80
    assert set(db.session.execute(select(Notification.email_state)).scalars()) == {SENT}
    # one email to the owner (40 overdue) and one to the manager (40 escalations), never two
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([owner.email, manager.email])


def test_scheduler_jobs_triggers_and_timezone_as_configured(app):
    app.config.update(SWEEP_INTERVAL_MINUTES=7, DELIVER_INTERVAL_SECONDS=30, DIGEST_HOUR=9)
    scheduler = cli.build_scheduler(app)
    assert str(scheduler.timezone) == "Europe/London"
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"sweep", "deliver", "digest", "audit_seal", "retention", "lease", "figures", "figures_all",
                         "api_keys", "child_links", "open_deadlines"}
    assert jobs["lease"].trigger.interval.total_seconds() == 20  # a third of the 60-second lease
    assert isinstance(jobs["sweep"].trigger, IntervalTrigger)
    assert jobs["sweep"].trigger.interval.total_seconds() == 7 * 60
    assert jobs["deliver"].trigger.interval.total_seconds() == 30
    digest = jobs["digest"].trigger
    assert isinstance(digest, CronTrigger) and str(digest.timezone) == "Europe/London"
    assert digest.get_next_fire_time(None, london(2026, 10, 23, 10, 0)) == london(2026, 10, 26, 9, 0)
    for job in jobs.values():
        # APScheduler fills job defaults in when the job is really scheduled; they are the scheduler's.
        assert job.args[1] == job.id
    assert scheduler._job_defaults == {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def test_the_web_app_never_starts_a_scheduler(monkeypatch):
    from apscheduler.schedulers.base import BaseScheduler

    started = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    web = create_app(make_config())
    with web.app_context():
        db.create_all()
        assert web.test_client().get("/healthz").status_code == 200
    assert started == []


def _reminded(smtp_server, owner) -> list:
    return [m for m in smtp_server.messages
            if m["To"] == owner.email and m["Subject"] == "You have 1 agreed action overdue"]


def test_the_real_scheduler_process_delivers_a_reminder(app, chase, team, smtp_server):
    owner, _ = team
    chase.add_task("Overdue visit to Ellie", london(2026, 11, 2, 9, 0), owner)
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]

    env = {**os.environ, "PYTHONPATH": str(ROOT), "APP_ENV": "development", "DATABASE_URL": database_url,
           "SECRET_KEY": "scheduler-test-key", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port),
           "DELIVER_INTERVAL_SECONDS": "1", "SWEEP_INTERVAL_MINUTES": "1"}
    program = ("import sys; from tests import reminder_provider; reminder_provider.install(); "
               "from flask.cli import main; sys.argv = ['flask', '--app', 'app', 'scheduler', 'run']; main()")
    process = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _reminded(smtp_server, owner):
            time.sleep(0.1)
    finally:
        process.terminate()
        log, _ = process.communicate(timeout=30)
    # (the daily summary may come first, ride along or follow, depending on the real day and hour the test runs)
    reminded = _reminded(smtp_server, owner)
    assert reminded, log[-3000:]
    assert "Ellie" not in reminded[0].get_body(("plain",)).get_content()
    assert "scheduler: started; sweep every 1 min, deliver every 1 s" in log
    assert "scheduler: lease taken by" in log
    assert "scheduler: stopped" in log
    db.session.expire_all()
    beat = db.session.get(SchedulerHeartbeat, 1)
    assert beat.last_sweep_at and beat.last_delivery_at and beat.started_by


def test_commands_sweep_with_now_and_deliver_each_print_one_line(app, runner, chase, team, smtp_server):
    owner, _ = team
    chase.add_task("Visit", london(2026, 11, 27, 17, 0), owner)
    result = runner.invoke(args=["reminders", "sweep", "--now", "2026-11-27T17:00"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Sweep at 2026-11-27T17:00:00+00:00: 1 open deadlines due or overdue, "
                             "1 new notifications (1 due)\n")
    bad = runner.invoke(args=["reminders", "sweep", "--now", "next tuesday"])
    assert bad.exit_code != 0 and "not an ISO-8601 date and time" in bad.output
    result = runner.invoke(args=["reminders", "deliver"])
    assert result.output == "Delivery: email is not configured (SMTP_HOST is not set); 1 notifications pending, " \
                            "shown in the app\n"
    app.config.update(smtp_server.config())
    result = runner.invoke(args=["reminders", "deliver"])
    assert result.output == "Delivery: 1 emails sent for 1 notifications, 0 to retry, 0 failed, 0 pending\n"
    result = runner.invoke(args=["reminders", "digest", "--now", "2026-12-01T08:00"])
    assert result.output == "Digest: 2 daily summaries written\n"  # the owner, and their manager (team overdue)


def test_a_failing_job_is_logged_and_kept_for_admins_and_the_scheduler_carries_on(app, monkeypatch):
    from safeguarding.reminders import sweep

    def broken(now, **_):
        raise RuntimeError("provider exploded")

    monkeypatch.setattr(sweep, "sweep", broken)
    cli.run_job(app, "sweep")
    beat = db.session.get(SchedulerHeartbeat, 1)
    assert beat.last_error == "sweep: RuntimeError: provider exploded"
    cli.run_job(app, "deliver")  # the next job still runs
    db.session.expire_all()
    assert db.session.get(SchedulerHeartbeat, 1).last_delivery_result.startswith("Delivery:")
