"""Commands: `flask scheduler run` (the one scheduler process), `flask reminders sweep|deliver|digest`.

Web workers never start a scheduler: only `flask scheduler run` builds one. APScheduler's job store lives in
memory (its maintainers: never share a job store between schedulers); the outbox in the database is what makes
a restart, a late start or a second copy harmless. Several copies may run (one per node, for failover): only the
one holding the lease (lease.py) runs jobs, checked before every job and inside every sweep slice; the others
wait and take over when its lease expires or it stops.
"""
from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask.cli import AppGroup

from .. import clock
from ..extensions import db
from .lease import Lease

log = logging.getLogger("safeguarding.scheduler")

scheduler_cli = AppGroup("scheduler", help="The scheduler process that chases deadlines.")
reminders_cli = AppGroup("reminders", help="Run one reminder step by hand.")


def run_job(app, name: str, lease: Lease | None = None) -> None:
    """One job run, in its own application context, only while this process holds the lease (when it has one); a
    failure is logged and kept for admins, never fatal."""
    from . import delivery, sweep

    with app.app_context():
        if lease is not None and not lease.hold():
            return
        if name == "lease":
            return
        try:
            if name == "sweep":
                keep = (lambda: lease.renew()) if lease is not None else None
                outcome = sweep.sweep(clock.now(), keep_lease=keep).line()
            elif name == "deliver":
                outcome = delivery.deliver(clock.now()).line()
                for other in delivery.OTHER_OUTBOXES:
                    outcome += "; " + other(clock.now())
            elif name == "audit_seal":
                from ..audit import chain

                outcome = f"Audit: {chain.seal(clock.now())} events sealed"
                db.session.commit()
            elif name in ("figures", "figures_all"):
                from ..reports import summaries

                keep = (lambda: lease.renew()) if lease is not None else None
                if name == "figures":
                    done = summaries.refresh_recent(clock.now(), app.config["FIGURES_RECENT_DAYS"], keep_lease=keep)
                else:
                    done = summaries.refresh_all(clock.now(), keep_lease=keep)
                outcome = done.line()
            elif name == "retention":
                from ..retention import services as retention

                outcome = retention.run_scheduled(clock.london_today())
                db.session.commit()
            elif name == "api_keys":
                from ..api import services as api

                from ..api import webhooks

                days = app.config["API_IDEMPOTENCY_DAYS"]
                forgotten = api.forget_idempotency_keys(clock.now() - timedelta(days=days))
                from ..auth import role_requests

                kept = app.config["API_WEBHOOK_KEEP_DAYS"]
                deliveries, events = webhooks.forget_delivered(clock.now() - timedelta(days=kept))
                lapsed = role_requests.lapse_overdue()
                db.session.commit()
                outcome = (f"API: {forgotten} idempotency keys older than {days} days forgotten; {deliveries} webhook "
                           f"deliveries and {events} events ended more than {kept} days ago forgotten; "
                           f"{lapsed} changes nobody approved marked lapsed")
            elif name == "child_links":
                from ..children import links

                problem = links.check_and_repair(db.session.connection())
                db.session.commit()
                if problem:
                    raise links.LinksDiffered(problem)  # rebuilt and committed; logged and shown to admins
                outcome = "Children's links: they match the records"
            elif name == "open_deadlines":
                from ..kept_deadlines import rows as kept

                problem = kept.check_and_repair(db.session)
                db.session.commit()
                if problem:
                    raise kept.DeadlinesDiffered(problem)  # rebuilt and committed; logged and shown to admins
                outcome = "Open deadlines kept for My work: they match the records"
            else:
                outcome = f"Digest: {sweep.digest(clock.now(), app.config['DIGEST_HOUR'])} daily summaries written"
            log.info("scheduler job %s: %s", name, outcome)
        except sweep.LeaseLost as lost:
            log.warning("scheduler: %s; this process stopped sweeping", lost)
            lease.held = False
        except Exception as err:  # the scheduler must outlive a bad night (database restart, a provider's bug)
            log.exception("scheduler job %s failed", name)
            sweep.record_error(name, err)


def build_scheduler(app, lease: Lease | None = None) -> BlockingScheduler:
    """The scheduler with its jobs, not started (tests inspect it); each job runs only while `lease` is held."""
    cfg = app.config
    scheduler = BlockingScheduler(
        timezone=clock.LONDON,
        # misfire_grace_time=None: a job that is late (process paused, machine asleep) still runs, once.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    start = datetime.now(clock.LONDON)
    scheduler.add_job(run_job, IntervalTrigger(minutes=cfg["SWEEP_INTERVAL_MINUTES"], timezone=clock.LONDON),
                      args=[app, "sweep", lease], id="sweep", name="Sweep deadlines into the outbox",
                      next_run_time=start)
    scheduler.add_job(run_job, IntervalTrigger(seconds=cfg["DELIVER_INTERVAL_SECONDS"], timezone=clock.LONDON),
                      args=[app, "deliver", lease], id="deliver", name="Send pending notifications",
                      next_run_time=start)
    scheduler.add_job(run_job, IntervalTrigger(minutes=1, timezone=clock.LONDON), args=[app, "audit_seal", lease],
                      id="audit_seal", name="Seal the audit trail's hash chain", next_run_time=start)
    # Nightly, out of hours; applying only when the partnership has switched it on (otherwise it reports).
    scheduler.add_job(run_job, CronTrigger(hour=2, minute=30, timezone=clock.LONDON), args=[app, "retention", lease],
                      id="retention", name="Apply the retention schedule")
    scheduler.add_job(run_job, CronTrigger(hour=2, minute=45, timezone=clock.LONDON), args=[app, "api_keys", lease],
                      id="api_keys", name="Housekeeping: API keys and webhook deliveries past their days, lapsed "
                      "changes to approve")
    # Who may see which child is kept as rows in each change's transaction; nightly they are compared with the
    # records, and rebuilt, with an error for admins, if a change ever moved a link unseen.
    scheduler.add_job(run_job, CronTrigger(hour=3, minute=45, timezone=clock.LONDON),
                      args=[app, "child_links", lease], id="child_links",
                      name="Check the children's links against the records")
    # My work's open deadlines likewise, each night and once at start (an upgrade that could not fill them is
    # filled before anyone needs them).
    scheduler.add_job(run_job, CronTrigger(hour=3, minute=50, timezone=clock.LONDON),
                      args=[app, "open_deadlines", lease], id="open_deadlines",
                      name="Check My work's open deadlines against the records", next_run_time=start)
    # The reports' summaries: the recent days often (records there still change, and "due by now" figures change
    # with the clock), every day each night and once at start, so the reports never wait a night for figures.
    scheduler.add_job(run_job, IntervalTrigger(minutes=cfg["FIGURES_REFRESH_MINUTES"], timezone=clock.LONDON),
                      args=[app, "figures", lease], id="figures", name="Bring the reports' recent figures up to date")
    scheduler.add_job(run_job, CronTrigger(hour=3, minute=15, timezone=clock.LONDON), args=[app, "figures_all", lease],
                      id="figures_all", name="Work every day of the reports' figures out again",
                      next_run_time=start)
    # Also once at start: a scheduler that was down at 08:00 still writes today's summary (it is idempotent, and
    # writes nothing before the hour, at weekends or on bank holidays).
    scheduler.add_job(run_job, CronTrigger(day_of_week="mon-fri", hour=cfg["DIGEST_HOUR"], minute=0,
                                           timezone=clock.LONDON),
                      args=[app, "digest", lease], id="digest", name="Daily summary", next_run_time=start)
    # Renewed every third of its length even when no other job is due, so it never lapses between jobs.
    scheduler.add_job(run_job, IntervalTrigger(seconds=max(1, cfg["SCHEDULER_LEASE_SECONDS"] // 3),
                                               timezone=clock.LONDON),
                      args=[app, "lease", lease], id="lease", name="Hold the scheduler lease", next_run_time=start)
    return scheduler


@scheduler_cli.command("run")
def scheduler_run():
    """Run the scheduler until stopped: sweep, deliver and the daily summary (while holding the lease)."""
    from . import delivery

    app = current_app._get_current_object()
    problem = delivery.transport_problem(app.config)
    if problem:
        log.warning("scheduler: %s; reminders are kept pending and shown in the app", problem)
        delivery._told_not_configured = True  # said once here, not again by the first delivery
    lease = Lease(app.config["SCHEDULER_LEASE_SECONDS"])
    scheduler = build_scheduler(app, lease)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("scheduler: started; sweep every %s min, deliver every %s s, daily summary at %02d:00 Europe/London; "
             "jobs run while this process holds the scheduler lease (%s s)",
             app.config["SWEEP_INTERVAL_MINUTES"], app.config["DELIVER_INTERVAL_SECONDS"],
             app.config["DIGEST_HOUR"], app.config["SCHEDULER_LEASE_SECONDS"])
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    with app.app_context():
        try:
            lease.release()
        except Exception:  # a database that is down: the lease simply expires
            log.warning("scheduler: could not give the lease up; it expires in %s s", lease.seconds)
    log.info("scheduler: stopped")


def parse_instant(value: str | None) -> datetime:
    """ISO-8601; without an offset it is London wall-clock time, as an operator would mean it."""
    if not value:
        return clock.now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 date and time, e.g. 2026-11-30T09:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.LONDON)
    return clock.ensure_utc(parsed)


@reminders_cli.command("sweep")
@click.option("--now", "now_text", default=None, help="Sweep as if it were this instant (ISO-8601)")
def sweep_command(now_text):
    """Turn due deadlines into notifications once."""
    from . import sweep

    click.echo(sweep.sweep(parse_instant(now_text)).line())


@reminders_cli.command("deliver")
def deliver_command():
    """Send pending notifications once."""
    from . import delivery

    click.echo(delivery.deliver(clock.now()).line())


@reminders_cli.command("digest")
@click.option("--now", "now_text", default=None, help="As if it were this instant (ISO-8601)")
def digest_command(now_text):
    """Write today's daily summaries (working days, from DIGEST_HOUR)."""
    from . import sweep

    created = sweep.digest(parse_instant(now_text), current_app.config["DIGEST_HOUR"])
    click.echo(f"Digest: {created} daily summaries written")


def register(app) -> None:
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(reminders_cli)
