"""The sweep at scale: a regular sweep reads only what has just become due, a full sweep walks the backlog in
slices, no statement carries more than a few thousand parameters, and a first sweep after a long outage that
creates 200,000 notifications succeeds (on PostgreSQL it used to fail at 65,535 and roll back, every time)."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from safeguarding.extensions import db
from safeguarding.reminders import sweep as sweeping
from safeguarding.reminders.models import Notification, SchedulerHeartbeat
from safeguarding.reminders.sweep import LeaseLost, sweep

from .reminder_provider import chase_task, london

NOW = london(2026, 12, 1, 17, 0)  # Tuesday


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(Notification)).scalar_one()


def _bulk_tasks(owner, dues) -> None:
    """Many open tasks in one executemany, not one ORM object at a time."""
    db.session.execute(chase_task.insert(), [
        {"kind": "agreed_action", "title": f"Task {n}", "child_name": None, "due_at": due, "owner_id": owner.id,
         "owner_agency_id": owner.agency_id} for n, due in enumerate(dues)])
    db.session.commit()


def test_a_regular_sweep_reads_what_has_just_become_due_not_the_backlog(chase, team):
    owner, manager = team
    for days in (400, 200, 30):  # a backlog of long-overdue work nobody has closed
        chase.add_task(f"{days} days overdue", NOW - timedelta(days=days), owner)
    first = sweep(NOW)
    assert first.full and first.deadlines == 3 and first.created == 6  # overdue and escalated, each
    chase.add_task("Due this evening", NOW + timedelta(hours=2), owner)
    later = sweep(NOW + timedelta(minutes=5))
    assert not later.full
    assert later.deadlines == 1 and later.by_level == {"before": 1}  # the backlog was not read again
    beat = db.session.get(SchedulerHeartbeat, 1)
    assert beat.swept_until == NOW + timedelta(minutes=5) and beat.caught_up_at == NOW


def test_something_recorded_days_late_is_chased_at_the_next_regular_sweep(chase, team):
    owner, _ = team
    sweep(NOW)
    chase.add_task("Recorded three days late", NOW - timedelta(days=3), owner)
    result = sweep(NOW + timedelta(minutes=5))
    assert not result.full and result.by_level == {"due": 1, "escalation": 1}  # Saturday + 2 working days


def test_something_recorded_months_late_waits_only_for_the_hourly_catch_up(chase, team):
    owner, _ = team
    sweep(NOW)
    chase.add_task("Recorded months late", NOW - timedelta(days=90), owner)
    assert sweep(NOW + timedelta(minutes=5)).created == 0  # outside the window
    result = sweep(NOW + timedelta(minutes=60))
    assert result.full and result.by_level == {"due": 1, "escalation": 1}


def test_after_an_outage_the_next_sweep_walks_the_whole_backlog(chase, team):
    owner, _ = team
    sweep(NOW)
    chase.add_task("Due during the outage", NOW + timedelta(days=3), owner)
    result = sweep(NOW + timedelta(days=10))  # nothing ran for ten days
    assert result.full and result.by_level == {"due": 1, "escalation": 1}


def test_a_rule_changed_by_an_admin_is_applied_to_the_whole_backlog_at_once(chase, team):
    from safeguarding.reminders.models import ReminderRule

    owner, _ = team
    chase.add_task("Long overdue", NOW - timedelta(days=200), owner)
    rule = None
    sweep(NOW)
    rule = db.session.execute(select(ReminderRule).where(ReminderRule.kind == chase.KIND)).scalar_one()
    rule.is_active = False
    db.session.commit()
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    assert sweep(NOW + timedelta(minutes=5)).created == 0  # inactive
    rule.is_active = True
    rule.updated_at = NOW + timedelta(minutes=6)
    db.session.commit()
    result = sweep(NOW + timedelta(minutes=10))
    assert result.full and result.created == 2


def test_a_full_sweep_walks_a_backlog_in_slices_and_statements_stay_small(chase, team, monkeypatch):
    owner, manager = team
    monkeypatch.setattr(sweeping, "BATCH", 200)
    monkeypatch.setattr(sweeping, "INSERT_PARAMS", 1000)
    _bulk_tasks(owner, [NOW - timedelta(days=5, hours=n % 600) for n in range(1500)])
    largest = []

    def measure(conn, cursor, statement, parameters, context, executemany):
        # one statement's parameters (a true executemany sends one row's at a time)
        many = isinstance(parameters, (list, tuple)) and parameters and isinstance(parameters[0], (tuple, list, dict))
        rows = parameters if many else [parameters]
        largest.append(max(len(row) for row in rows))

    event.listen(db.engine, "before_cursor_execute", measure)
    try:
        result = sweep(NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", measure)
    assert result.full and result.slices > 3
    assert result.created == 3000 and result.by_level == {"due": 1500, "escalation": 1500}
    assert _count() == 3000
    assert max(largest) <= 1000


def test_a_sweep_whose_lease_is_lost_commits_nothing_more(chase, team):
    owner, _ = team
    chase.add_task("Overdue", NOW - timedelta(days=3), owner)
    with pytest.raises(LeaseLost):
        sweep(NOW, keep_lease=lambda: False)
    db.session.rollback()
    assert _count() == 0
    assert sweep(NOW, keep_lease=lambda: True).created == 2


@pytest.mark.slow
def test_a_first_sweep_creating_200_000_notifications_succeeds(chase, team):
    owner, manager = team
    # 100,000 overdue tasks over two years, each overdue and escalated: 200,000 notifications in one first sweep
    _bulk_tasks(owner, [NOW - timedelta(days=5, minutes=10 * n) for n in range(100_000)])
    started = time.monotonic()
    result = sweep(NOW)
    took = time.monotonic() - started
    assert result.created == 200_000 and result.by_level == {"due": 100_000, "escalation": 100_000}, result.line()
    assert result.slices > 10  # in slices of about BATCH deadlines, never all at once
    assert _count() == 200_000
    print(f"first sweep: 200,000 notifications in {took:.1f} s, {result.slices} slices")
    again = sweep(NOW + timedelta(minutes=5))
    assert again.created == 0 and not again.full
