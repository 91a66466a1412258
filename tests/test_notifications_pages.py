"""In-app notifications with acknowledgement, the unread count, and the admins' operations page and banner."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification
from safeguarding.reminders.sweep import record_error, sweep

from .reminder_provider import london

NOW = london(2026, 12, 1, 17, 0)


def test_the_owner_sees_unread_reminders_and_acknowledges_one(chase, signed_in, make_user):
    with clock.frozen_at(NOW):
        manager = make_user(Role.MANAGER, "csc")
        client, owner = signed_in(Role.PRACTITIONER, "csc", manager=manager)
        chase.add_task("Visit Ellie at home", london(2026, 11, 27, 17, 0), owner)
        chase.add_task("Call the school", NOW + timedelta(hours=3), owner)
        sweep(NOW)
        home = client.get("/home")
        assert "Notifications 2 unread" in home.text
        page = client.get("/notifications")
        assert "Overdue: Visit Ellie at home" in page.text and "Due soon: Call the school" in page.text
        assert "overdue by 4 days" in page.text
        overdue = db.session.execute(select(Notification).where(Notification.level == "due")).scalar_one()
        token = page.csrf()
        client.post(f"/notifications/{overdue.id}/acknowledge", {"csrf_token": token, "page": "1"})
        after = client.get("/notifications")
    assert "Notification acknowledged" in after.text
    assert "Notifications 1 unread" in after.text
    assert f"Acknowledged {NOW.astimezone(clock.LONDON):%-d %b %Y %H:%M}" in after.text
    db.session.refresh(overdue)
    assert overdue.acknowledged_by_id == owner.id and overdue.acknowledged_at == NOW
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "acknowledge")).scalar_one()
    assert (event.user_id, event.object_type, event.object_id) == (owner.id, "notification", overdue.id)


def test_acknowledge_all_and_a_second_acknowledgement_keeps_the_first(chase, signed_in, team):
    owner, _ = team
    chase.add_task("One", london(2026, 11, 20, 9, 0), owner)
    chase.add_task("Two", london(2026, 11, 21, 9, 0), owner)
    sweep(NOW)
    from .conftest import PASSWORD
    from .pages import PageClient

    client = PageClient(client_app().test_client())
    client.sign_in(owner.email, PASSWORD)
    token = client.get("/notifications").csrf()
    client.post("/notifications/acknowledge-all", {"csrf_token": token})
    page = client.get("/notifications")
    assert "2 notifications acknowledged" in page.text
    assert "Acknowledge all" not in page.text
    first = db.session.execute(select(Notification).where(Notification.recipient_id == owner.id)
                               .order_by(Notification.id).limit(1)).scalar_one()
    stamp = first.acknowledged_at
    client.post(f"/notifications/{first.id}/acknowledge", {"csrf_token": token})
    db.session.refresh(first)
    assert first.acknowledged_at == stamp


def client_app():
    from flask import current_app

    return current_app._get_current_object()


def test_someone_else_s_notification_is_not_found_and_the_attempt_is_audited(chase, team, signed_in):
    owner, manager = team
    chase.add_task("Private", london(2026, 11, 20, 9, 0), owner)
    sweep(NOW)
    mine = db.session.execute(select(Notification).where(Notification.recipient_id == owner.id)).scalars().first()
    client, other = signed_in(Role.PRACTITIONER, "csc")
    token = client.get("/notifications").csrf()
    assert "Private" not in client.get("/notifications").text
    client.post(f"/notifications/{mine.id}/acknowledge", {"csrf_token": token}, expected=404)
    client.get(f"/notifications/{mine.id}/acknowledge", expected=405)
    refusal = db.session.execute(select(AuditEvent).where(AuditEvent.action == "authz_fail")).scalar_one()
    assert (refusal.user_id, refusal.object_id) == (other.id, mine.id)
    db.session.refresh(mine)
    assert mine.acknowledged_at is None


def test_the_operations_page_counts_what_was_emailed_in_the_last_day(app, chase, team, signed_in):
    owner, _ = team
    for n in range(3):
        chase.add_task(f"Overdue {n}", london(2026, 11, 20, 9, 0), owner)
    with clock.frozen_at(NOW):
        client, _admin = signed_in(Role.ADMIN, "csc")
        sweep(NOW)
        made = db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert len(made) >= 3
        # two emailed this afternoon, one two days ago (still sent, but not lately), the rest still waiting
        for notification, sent in zip(made, (NOW - timedelta(hours=2), NOW - timedelta(hours=23),
                                             NOW - timedelta(days=2)), strict=False):
            notification.email_state, notification.sent_at = "sent", sent
        db.session.commit()
        page = client.get("/admin/reminders")
    assert "Emailed in the last 24 hours 2" in page.text
    assert f"Waiting to be emailed {len(made) - 3}" in page.text


def test_admins_see_scheduler_state_counts_rules_and_last_error(app, chase, team, signed_in):
    owner, _ = team
    chase.add_task("Overdue", london(2026, 11, 20, 9, 0), owner)
    with clock.frozen_at(NOW):
        client, admin = signed_in(Role.ADMIN, "csc")
        stale = client.get("/admin/")
        assert "The scheduler has never looked for due deadlines" in stale.text
        sweep(NOW)
        record_error("deliver", ConnectionRefusedError("relay down"))
        page = client.get("/admin/reminders")
        assert "scheduler-warning" not in page.html  # it has just swept
        assert "Waiting to be emailed 2" in page.text
        assert "Failed for good 0" in page.text
        assert "Emailed in the last 24 hours 0" in page.text
        assert "deliver: ConnectionRefusedError: relay down" in page.text
        assert "Not configured: notifications are shown in the app only" in page.text
        assert "Agreed action" in page.text and "after 2 working days overdue" in page.text
        assert "Overdue" not in page.text.replace("overdue", "")  # no case data for admins: titles stay out
    with clock.frozen_at(NOW + timedelta(minutes=16)):
        later = client.get("/admin/reminders")
        admin_home = client.get("/admin/")  # at the pinned moment: the session would be idle by the real clock
    assert "The scheduler last looked for due deadlines 16 minutes ago" in later.text
    assert "Reminders and escalations are not being sent" in later.text
    assert "Reminder operations" in admin_home.text


def test_only_admins_open_the_operations_page_and_see_the_banner(signed_in):
    client, _ = signed_in(Role.MANAGER, "csc")
    home = client.get("/home")
    assert "scheduler-warning" not in home.html
    client.get("/admin/reminders", expected=403)


def test_the_inbox_lists_what_is_not_acknowledged_first_then_the_rest_newest_first_a_page_at_a_time(signed_in):
    client, person = signed_in(Role.PRACTITIONER, "csc")
    start = clock.now() - timedelta(days=100)
    # 30 acknowledged and 10 not, interleaved in time: "Notice 0" the oldest
    db.session.add_all([Notification(rule="agreed_action", object_type="agreed_action", object_id=n, level="due",
                                     recipient_id=person.id, kind="agreed_action", title=f"Notice {n}",
                                     url="/my-work", created_at=start + timedelta(days=n),
                                     acknowledged_at=None if n % 4 == 1 else start + timedelta(days=n, hours=1),
                                     acknowledged_by_id=None if n % 4 == 1 else person.id)
                        for n in range(40)])
    db.session.commit()

    def titles(page) -> list[str]:
        return [f"Notice {n}" for _, n in sorted((page.html.find(f"Notice {n}<"), n) for n in range(40)
                                                 if f"Notice {n}<" in page.html)]

    unread = [f"Notice {n}" for n in range(39, -1, -1) if n % 4 == 1]
    read = [f"Notice {n}" for n in range(39, -1, -1) if n % 4 != 1]
    first, second = client.get("/notifications"), client.get("/notifications?page=2")
    assert titles(first) == unread + read[:15]
    assert titles(second) == read[15:]
    assert "40 in total" in first.text


def test_a_form_page_asks_for_the_schedulers_heartbeat_once_when_there_is_none(signed_in):
    """The warning is worked out once per page: the GOV.UK form widgets each draw through the context processors,
    and a heartbeat row that does not exist yet (a scheduler never started) was read again for each."""
    from sqlalchemy import event

    client, _ = signed_in(Role.ADMIN, "csc")
    seen = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get("/admin/users/new")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "The scheduler has never looked for due deadlines" in page.text
    assert page.html.count('class="govuk-input') >= 2  # a page of widgets
    assert len([s for s in seen if "FROM scheduler_heartbeat" in s]) == 1
