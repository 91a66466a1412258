"""Reminders and My work with the real agreed actions of strategy discussions (no test provider)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.discussions import services as discussions
from safeguarding.extensions import db
from safeguarding.reminders import delivery
from safeguarding.reminders.models import Notification
from safeguarding.reminders.sweep import sweep

from .conftest import PASSWORD
from .discussion_data import convene, make_child
from .pages import PageClient
from .reminder_provider import london

CONVENED = london(2026, 11, 23, 9, 0)  # Monday
DUE = london(2026, 11, 27, 17, 0)  # Friday


def _discussion_with_actions(make_user, agencies):
    chair = make_user(Role.MASH, "csc", name="Sam Chair")
    inspector = make_user(Role.MANAGER, "police", name="Inspector Shah")
    officer = make_user(Role.PRACTITIONER, "police", name="DC Evans", manager=inspector)
    child = make_child("Amy", "Example")
    with clock.frozen_at(CONVENED):
        sd = convene(chair, [child], [agencies["csc"], agencies["police"], agencies["health"]])
        done_in_time = discussions.add_action(sd, {"description": "Share Amy's police history", "owner_id": officer.id,
                                                   "due_at": DUE, "child_id": child.id}, actor=chair)
        left = discussions.add_action(sd, {"description": "Visit Amy at school", "owner_id": officer.id,
                                           "due_at": DUE, "child_id": child.id}, actor=chair)
        db.session.commit()
    return sd, officer, inspector, done_in_time, left


def test_agreed_actions_are_reminded_escalated_and_stop_when_done(app, make_user, agencies, smtp_server):
    sd, officer, inspector, done_in_time, left = _discussion_with_actions(make_user, agencies)
    assert sweep(DUE - timedelta(hours=23)).by_level["before"] == 2
    with clock.frozen_at(DUE - timedelta(hours=1)):
        discussions.complete_action(done_in_time, "Sent to CSC", actor=officer, expected_version=done_in_time.version)
    assert sweep(DUE).by_level == {"due": 1}
    assert sweep(london(2026, 12, 1, 17, 0)).by_level == {"escalation": 1}  # Tuesday: two working days
    escalation = db.session.execute(select(Notification).where(Notification.level == "escalation")).scalar_one()
    assert (escalation.recipient_id, escalation.object_type, escalation.object_id) == (inspector.id, "agreed_action",
                                                                                       left.id)
    assert escalation.url == f"/discussions/{sd.id}#action-{left.id}"
    app.config.update(smtp_server.config())
    delivery.deliver(london(2026, 12, 1, 17, 1))
    # calendar invitations from convening go through the same relay; these are the reminder emails
    reminders = [m for m in smtp_server.messages if not m["Subject"].startswith("Invitation")]
    subjects = {m["To"]: m["Subject"] for m in reminders}
    chair = db.session.get(type(officer), sd.chair_id)
    # the officer's: 2 due soon, 1 overdue, and the notices that the 2 actions were given to them
    assert subjects == {officer.email: "You have 5 reminders",
                        chair.email: "You have 1 set of minutes to circulate overdue",  # its own clock, chased too
                        inspector.email: "You have 1 agreed action overdue in your team, escalated to you",
                        # the chair has no line manager here: CSC's shared mailbox hears of the overdue minutes
                        "csc@agency.example.org": "A set of minutes to circulate is overdue and its owner has no "
                                                  "manager here to tell"}
    body = [m.get_body(("plain",)).get_content() for m in reminders]
    assert all("Amy" not in b and "Visit" not in b for b in body)
    assert "* 1 agreed action overdue" in next(b for b in body if "2 agreed actions due soon" in b)


def test_my_work_shows_the_real_action_and_drops_it_once_done(app, make_user, agencies):
    sd, officer, inspector, done_in_time, left = _discussion_with_actions(make_user, agencies)
    now = london(2026, 11, 30, 10, 0)
    with clock.frozen_at(now):
        client = PageClient(app.test_client())
        client.sign_in(officer.email, PASSWORD)
        page = client.get("/my-work")
        assert "Overdue (2)" in page.text and "Action: Visit Amy at school" in page.text
        assert "Overdue by 2 days 17 hours" in page.text
        discussions.complete_action(left, "Seen at school", actor=officer, expected_version=left.version)
        page = client.get("/my-work")
        assert "Overdue (1)" in page.text and "Visit Amy at school" not in page.text
        manager = PageClient(app.test_client())
        manager.sign_in(inspector.email, PASSWORD)
        team = manager.get("/my-work")
    assert "Your team" in team.text and "Share Amy's police history" in team.text and "DC Evans" in team.text


def _levels_for(action) -> list[tuple[str, str]]:
    return [tuple(r) for r in db.session.execute(select(Notification.level, Notification.due_key).where(
        Notification.object_type == "agreed_action", Notification.object_id == action.id,
        Notification.level != "notice")  # the owner's "this is now yours" notice is not a reminder
        .order_by(Notification.id)).all()]


def test_an_action_moved_to_a_later_time_is_chased_again_at_the_new_time(app, make_user, agencies):
    sd, officer, inspector, _, left = _discussion_with_actions(make_user, agencies)
    sweep(DUE)
    assert _levels_for(left) == [("due", "2026-11-27T17:00:00Z")]
    new_due = london(2026, 12, 4, 17, 0)  # the following Friday
    with clock.frozen_at(DUE + timedelta(hours=1)):
        discussions.change_action(left, owner_id=officer.id, due_at=new_due, reason="School visit rearranged",
                                  actor=sd.chair, expected_version=left.version)
    sweep(DUE + timedelta(hours=2))  # not overdue any more: nothing new about it
    assert len(_levels_for(left)) == 1
    sweep(new_due - timedelta(hours=23))
    sweep(new_due)
    sweep(new_due)  # and still only once for the new time
    assert _levels_for(left) == [("due", "2026-11-27T17:00:00Z"), ("before", "2026-12-04T17:00:00Z"),
                                 ("due", "2026-12-04T17:00:00Z")]
