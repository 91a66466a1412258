"""One scheduler at a time: a lease row in the database, with an expiry, renewed by the leader.

Why a lease row and not a PostgreSQL advisory lock held for the life of the process: a session lock lives and
dies with one connection, so a dropped connection (a restart, a failover, an idle reaper, a transaction-mode
pooler such as PgBouncer handing the session to someone else) frees it silently while the old leader carries on.
A lease is a row (`scheduler_heartbeat.lease_holder`, `lease_expires_at`) that any connection can renew:

- `hold()` takes the lease if it is free or expired, or renews it if this process holds it, in one conditional
  UPDATE; the scheduler calls it before every job and on its own every third of the lease, and runs no job
  without it. Losing it (another process took it after it expired: this one was paused, cut off or too slow)
  is noticed at the next job; this process then waits, trying again each cycle, while the other one works.
- the sweep also renews it inside each slice's transaction just before committing (`sweep(keep_lease=...)`):
  on PostgreSQL the UPDATE locks the row until the commit, so a leader's slice commits only with a lease still
  held, and a newcomer cannot take the lease while that slice is committing. Two schedulers never commit sweeps
  at the same time, whatever happens to their connections.
- expiry is measured by the database's clock on PostgreSQL (one clock for every node); SQLite (one machine) uses
  the application's.
It works on both databases and through any pooler, needs no long-lived connection, and a stopped scheduler gives
the lease up at once (`release()`), so a standby takes over within a few seconds rather than a lease period.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update

from .. import clock
from ..extensions import db
from .models import SchedulerHeartbeat

log = logging.getLogger("safeguarding.scheduler")

HEARTBEAT_ID = 1


def database_now() -> datetime:
    """The database's clock on PostgreSQL (every node asks the same one), else the application's."""
    if db.engine.dialect.name == "postgresql":
        return clock.ensure_utc(db.session.execute(select(text("clock_timestamp()"))).scalar_one())
    return clock.now()


class Lease:
    """This process's claim on the scheduler lease."""

    def __init__(self, seconds: int = 60, holder: str | None = None):
        self.seconds = seconds
        # host:pid, plus a few random characters so a restarted process with a reused pid is someone new
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.held = False
        self._said_waiting = False

    def renew(self, now: datetime | None = None) -> bool:
        """Take or renew the lease in the caller's transaction (not committed): True when this process holds it
        until now + seconds."""
        from .sweep import insert_once

        now = now or database_now()
        insert_once(SchedulerHeartbeat, [{"id": HEARTBEAT_ID}], ("id",))
        result = db.session.execute(
            update(SchedulerHeartbeat)
            .where(SchedulerHeartbeat.id == HEARTBEAT_ID,
                   or_(SchedulerHeartbeat.lease_holder.is_(None), SchedulerHeartbeat.lease_holder == self.holder,
                       SchedulerHeartbeat.lease_expires_at.is_(None), SchedulerHeartbeat.lease_expires_at < now))
            .values(lease_holder=self.holder, lease_expires_at=now + timedelta(seconds=self.seconds)))
        return result.rowcount == 1

    def hold(self, now: datetime | None = None) -> bool:
        """Take or renew the lease and commit; logs when it is taken, lost, or held by someone else."""
        try:
            got = self.renew(now)
            if got and not self.held:
                from .sweep import touch

                touch(started_at=clock.now(), started_by=self.holder)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("scheduler: could not reach the database to renew the lease")
            got = False
        if got and not self.held:
            log.info("scheduler: lease taken by %s; this process runs the reminder jobs", self.holder)
            self._said_waiting = False
        elif not got and self.held:
            log.warning("scheduler: lease lost (%s); jobs stop here until it can be taken again", self._other())
        elif not got and not self._said_waiting:
            log.warning("scheduler: %s; waiting for it to stop or its lease to expire", self._other())
            self._said_waiting = True
        self.held = got
        return got

    def release(self) -> None:
        """Give the lease up (on a clean stop), so a standby scheduler takes over at once."""
        db.session.execute(update(SchedulerHeartbeat)
                           .where(SchedulerHeartbeat.id == HEARTBEAT_ID,
                                  SchedulerHeartbeat.lease_holder == self.holder)
                           .values(lease_holder=None, lease_expires_at=None))
        db.session.commit()
        self.held = False

    def _other(self) -> str:
        try:
            holder = db.session.execute(select(SchedulerHeartbeat.lease_holder)
                                        .where(SchedulerHeartbeat.id == HEARTBEAT_ID)).scalar()
            db.session.rollback()
        except Exception:
            db.session.rollback()
            return "the database could not be reached"
        return f"another scheduler holds the lease ({holder})" if holder else "the lease could not be taken"
