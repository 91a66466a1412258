"""The sweep: due deadlines become notifications once, for the right people, at the right instants."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from safeguarding.auth.models import Role
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification, ReminderRule
from safeguarding.reminders.sweep import digest, sweep

from .reminder_provider import london

UTC = timezone.utc


def rows() -> list[tuple]:
    return [(n.level, n.recipient_id, n.object_id) for n in db.session.execute(
        select(Notification).order_by(Notification.id)).scalars()]


def test_an_action_is_chased_before_at_and_after_its_due_time(chase, team):
    owner, manager = team
    due = london(2026, 11, 27, 17, 0)  # Friday
    task = chase.add_task("Visit Ellie at home", due, owner)

    assert sweep(due - timedelta(hours=25)).created == 0
    assert sweep(due - timedelta(hours=23)).created == 1
    assert rows() == [("before", owner.id, task)]
    assert sweep(due - timedelta(hours=1)).created == 0  # still true, already fired
    assert sweep(due).created == 1
    assert sweep(london(2026, 11, 30, 17, 0)).created == 0  # Monday: one working day overdue
    result = sweep(london(2026, 12, 1, 17, 0))  # Tuesday: two working days
    assert result.created == 1 and result.by_level == {"escalation": 1}
    assert rows() == [("before", owner.id, task), ("due", owner.id, task), ("escalation", manager.id, task)]
    escalation = db.session.execute(select(Notification).where(Notification.level == "escalation")).scalar_one()
    assert escalation.owner_id == owner.id and "Jo Worker" in escalation.title


def test_escalation_waits_for_the_bank_holiday_and_the_clock_change(chase, team):
    owner, manager = team
    chase.add_task("Summer action", london(2026, 8, 28, 17, 0), owner)
    chase.add_task("Autumn action", london(2026, 10, 23, 17, 0), owner)
    sweep(london(2026, 9, 1, 17, 0))  # Tuesday after the bank holiday: only one working day
    assert [r[0] for r in rows()] == ["due"]
    sweep(london(2026, 9, 2, 17, 0))
    assert [r[0] for r in rows()] == ["due", "escalation"]
    sweep(datetime(2026, 10, 27, 16, 59, tzinfo=UTC))  # Tuesday 16:59 GMT
    assert [r[0] for r in rows()][-1] == "due"
    sweep(datetime(2026, 10, 27, 17, 0, tzinfo=UTC))
    assert [r[0] for r in rows()][-1] == "escalation"


def test_a_deadline_first_seen_late_is_chased_as_overdue_and_escalated_not_as_due_soon(chase, team):
    owner, manager = team
    chase.add_task("Late", london(2026, 11, 2, 9, 0), owner)
    result = sweep(london(2026, 11, 20, 9, 0))
    assert sorted(result.by_level) == ["due", "escalation"]


def test_running_the_sweep_twice_writes_nothing_twice(chase, team):
    owner, _ = team
    for n in range(3):
        chase.add_task(f"Action {n}", london(2026, 11, 20, 9, n), owner)
    now = london(2026, 11, 30, 9, 0)
    first = sweep(now)
    assert first.created == 6  # due + escalation for each
    assert sweep(now).created == 0
    assert sweep(now + timedelta(minutes=5)).created == 0
    assert len(rows()) == 6


def test_done_deadlines_stop_being_chased(chase, team):
    owner, _ = team
    task = chase.add_task("Done in time", london(2026, 11, 27, 17, 0), owner)
    sweep(london(2026, 11, 27, 17, 0))
    chase.complete(task, london(2026, 11, 27, 18, 0))
    assert sweep(london(2026, 12, 10, 9, 0)).created == 0
    assert [r[0] for r in rows()] == ["due"]


def test_a_departed_owner_s_reminders_go_to_their_manager(chase, team):
    owner, manager = team
    db.session.execute(update(type(owner)).where(type(owner).id == owner.id).values(is_active_user=False))
    db.session.commit()
    chase.add_task("Left behind", london(2026, 11, 27, 17, 0), owner)
    sweep(london(2026, 11, 27, 17, 0))
    assert rows()[0][:2] == ("due", manager.id)


def test_no_line_manager_means_the_agency_s_managers_hear(chase, make_user):
    owner = make_user(Role.PRACTITIONER, "police")
    police_manager = make_user(Role.MANAGER, "police")
    make_user(Role.MANAGER, "csc")  # another agency's manager is not told
    chase.add_task("Orphan", london(2026, 11, 2, 9, 0), owner)
    sweep(london(2026, 11, 20, 9, 0))
    assert [(r[0], r[1]) for r in rows()] == [("due", owner.id), ("escalation", police_manager.id)]


def test_named_escalation_contact_wins_over_line_manager(chase, team, make_user):
    owner, manager = team
    chair = make_user(Role.MASH, "csc")
    chase.add_task("Chair escalates", london(2026, 11, 2, 9, 0), owner, escalate_to=chair)
    sweep(london(2026, 11, 20, 9, 0))
    assert ("escalation", chair.id) in [(r[0], r[1]) for r in rows()]
    assert manager.id not in [r[1] for r in rows()]


def test_rules_are_stored_with_defaults_and_an_admin_change_takes_effect(chase, team):
    owner, _ = team
    sweep(london(2026, 11, 1, 9, 0))
    rule = db.session.execute(select(ReminderRule).where(ReminderRule.kind == chase.KIND)).scalar_one()
    assert (rule.remind_hours_before, rule.remind_at_due, rule.escalate_after_working_days) == (24, True, 2)
    rule.escalate_after_working_days = None
    rule.remind_hours_before = 48
    db.session.commit()
    chase.add_task("Two days", london(2026, 11, 27, 17, 0), owner)
    assert sweep(london(2026, 11, 25, 18, 0)).by_level == {"before": 1}
    assert sweep(london(2026, 12, 20, 9, 0)).by_level == {"due": 1}


def test_daily_summary_counts_only_on_working_days_once_a_day(chase, team, make_user):
    owner, manager = team
    chase.add_task("Overdue one", london(2026, 11, 30, 9, 0), owner)
    chase.add_task("Today", london(2026, 12, 1, 16, 0), owner)
    chase.add_task("Thursday", london(2026, 12, 3, 16, 0), owner)
    assert digest(london(2026, 12, 1, 7, 59), 8) == 0
    assert digest(london(2026, 12, 1, 8, 0), 8) == 2
    assert digest(london(2026, 12, 1, 8, 5), 8) == 0
    titles = {n.recipient_id: n.title for n in db.session.execute(select(Notification)).scalars()}
    assert titles[owner.id] == "Your work: 1 overdue, 1 due today, 1 due in the next 7 days"
    assert titles[manager.id] == "Your work: nothing due; your team: 1 overdue"
    assert "Ellie" not in " ".join(titles.values())
    assert digest(london(2026, 12, 5, 9, 0), 8) == 0  # Saturday
    assert digest(london(2026, 12, 25, 9, 0), 8) == 0  # Christmas Day
    assert digest(london(2026, 12, 2, 8, 0), 8) == 2  # the next working day has its own summary
